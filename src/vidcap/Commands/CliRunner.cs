using System.CommandLine;
using Microsoft.ML.VideoCaptioning.Models;
using Microsoft.ML.VideoCaptioning.Engine;
using Spectre.Console;

namespace Microsoft.ML.VideoCaptioning.Cli.Commands;

/// <summary>Exit codes and error reporting shared by every command.</summary>
public static class ExitCodes
{
    public const int Ok = 0;
    public const int Failure = 1;
    public const int BadInput = 2;
}

/// <summary>Thrown for user errors (bad arguments, missing or malformed inputs): exit code 2 with the message.</summary>
public sealed class UsageException(string message) : Exception(message);

public static class CliRunner
{
    /// <summary>Parses and invokes; maps input errors to exit code 2 and other failures to 1, with a one-line message.</summary>
    public static int Run(RootCommand root, string[] args)
    {
        var parse = root.Parse(args);
        if (parse.Errors.Count > 0)
        {
            foreach (var e in parse.Errors) Console.Error.WriteLine($"error: {e.Message}");
            return ExitCodes.BadInput;
        }
        try
        {
            return parse.Invoke(new InvocationConfiguration { EnableDefaultExceptionHandler = false });
        }
        catch (Exception e) when (IsInputError(e))
        {
            Console.Error.WriteLine($"error: {e.Message}");
            return ExitCodes.BadInput;
        }
        catch (OperationCanceledException)
        {
            Console.Error.WriteLine("cancelled");
            return ExitCodes.Failure;
        }
        catch (Exception e)
        {
            Console.Error.WriteLine($"failed: {e.GetType().Name}: {e.Message}");
            return ExitCodes.Failure;
        }
    }

    private static bool IsInputError(Exception e) => e is UsageException or FileNotFoundException or DirectoryNotFoundException
        or ModelConfigException or SafeTensorsFormatException or ArgumentException or InvalidDataException or NotSupportedException
        or Evaluation.CaptionDataException or Video.VideoDecodeException or ModelPackageException or Data.DatasetFormatException;

    /// <summary>True when stdout is a terminal (progress bars are drawn only then).</summary>
    public static bool Interactive => !Console.IsOutputRedirected && AnsiConsole.Profile.Capabilities.Interactive;
}
