# Twin of build.sh for PowerShell (pwsh on Linux). Same commands:
#   ./build.ps1 [build|test|demo|bench ARGS|clean]
# Installs missing Debian packages (as root or via sudo), builds the native shim against Debian's libtorch, or
# against $env:TORCH_DIR / the torch of $env:PYTHON, builds the .NET solution and publishes artifacts/bin/vidcap.
param([string]$Command = "build", [Parameter(ValueFromRemainingArguments = $true)][string[]]$Rest)
$ErrorActionPreference = "Stop"
Set-Location $PSScriptRoot
$Config = if ($env:CONFIG) { $env:CONFIG } else { "Release" }
$env:DOTNET_CLI_TELEMETRY_OPTOUT = "1"; $env:DOTNET_NOLOGO = "1"

function Install-Packages {
    $pkgs = @("cmake", "g++", "ffmpeg", "fonts-dejavu-core")
    if ($Command -eq "test") { $pkgs += "chromium" }   # the report test renders the demo's HTML in headless Chromium
    if (-not $env:TORCH_DIR -and -not $env:PYTHON) { $pkgs += @("libtorch-dev", "libopenblas0-pthread") }
    $missing = $pkgs | Where-Object { -not ((dpkg-query -W -f='${Status}' $_ 2>$null) -match "install ok installed") }
    if ($missing) {
        $cmd = "apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends $($missing -join ' ')"
        if ((id -u) -eq "0") { bash -c $cmd }
        elseif ((Get-Command sudo -ErrorAction SilentlyContinue) -and (sudo -n true 2>$null; $LASTEXITCODE -eq 0)) { sudo bash -c $cmd }
        else { Write-Error "Missing system packages: $missing. Install them with: sudo bash -c '$cmd'" }
        if ($LASTEXITCODE -ne 0) { throw "package installation failed" }
    }
}

function Build-Native {
    $args = @("-DCMAKE_BUILD_TYPE=Release"); $dir = "build/native-debian"
    if ($env:PYTHON) {
        $torch = & $env:PYTHON -c 'import os, torch; print(os.path.dirname(torch.__file__))'
        $abi = & $env:PYTHON -c 'import torch; print(int(torch._C._GLIBCXX_USE_CXX11_ABI))'
        $cuda = & $env:PYTHON -c 'import torch; print(1 if torch.version.cuda else 0)'
        $args += @("-DTORCH_DIR=$torch", "-DTORCH_CXX11_ABI=$abi"); if ($cuda -eq "1") { $args += "-DVIDCAP_CUDA=ON" }
        $dir = "build/native-python"
    } elseif ($env:TORCH_DIR) {
        $abi = if ($env:TORCH_CXX11_ABI) { $env:TORCH_CXX11_ABI } else { "1" }
        $args += @("-DTORCH_DIR=$($env:TORCH_DIR)", "-DTORCH_CXX11_ABI=$abi")
        if (Test-Path "$($env:TORCH_DIR)/lib/libtorch_cuda.so") { $args += "-DVIDCAP_CUDA=ON" }
        $dir = "build/native-torchdir"
    }
    cmake -S src/native -B $dir @args | Out-Null; if ($LASTEXITCODE -ne 0) { throw "cmake configure failed" }
    cmake --build $dir -j ([Environment]::ProcessorCount) | Out-Null; if ($LASTEXITCODE -ne 0) { throw "native build failed" }
    New-Item -ItemType Directory -Force artifacts/native | Out-Null
    Copy-Item "$dir/libvidcap_torch.so" artifacts/native/
}

function Build-DotNet {
    dotnet build Microsoft.ML.VideoCaptioning.sln -c $Config -v q -nologo -clp:ErrorsOnly; if ($LASTEXITCODE -ne 0) { throw "dotnet build failed" }
    dotnet publish src/vidcap/vidcap.csproj -c $Config -o artifacts/bin -v q -nologo -clp:ErrorsOnly; if ($LASTEXITCODE -ne 0) { throw "dotnet publish failed" }
}

function Invoke-Tests {
    $results = "artifacts/test-results"; Remove-Item -Recurse -Force $results -ErrorAction SilentlyContinue
    dotnet test Microsoft.ML.VideoCaptioning.sln -c $Config --no-build -nologo --logger "trx;LogFileName=tests.trx" --results-directory $results @Rest
    $rc = $LASTEXITCODE
    $passed = 0; $failed = 0; $skipped = 0
    foreach ($f in Get-ChildItem -Recurse $results -Filter *.trx) {
        $c = ([xml](Get-Content $f)).TestRun.ResultSummary.Counters
        $passed += [int]$c.passed; $failed += [int]$c.failed + [int]$c.error + [int]$c.timeout + [int]$c.aborted
        $skipped += [int]$c.total - [int]$c.executed
    }
    if ($rc -ne 0 -and $failed -eq 0) { $failed = 1 }
    Write-Output "$passed passed, $failed failed, $skipped skipped"
    if ($failed -ne 0) { exit 1 }
}

switch ($Command) {
    "build" { Install-Packages; Build-Native; Build-DotNet }
    "test" { Install-Packages; Build-Native; Build-DotNet; Invoke-Tests }
    "demo" { Install-Packages; Build-Native; Build-DotNet; & artifacts/bin/vidcap demo @Rest; exit $LASTEXITCODE }
    "bench" { Install-Packages; Build-Native; Build-DotNet; & artifacts/bin/vidcap bench @Rest; exit $LASTEXITCODE }
    "clean" { Remove-Item -Recurse -Force artifacts, build -ErrorAction SilentlyContinue }
    default { Write-Error "usage: ./build.ps1 [build|test|demo|bench ARGS|clean]"; exit 2 }
}
