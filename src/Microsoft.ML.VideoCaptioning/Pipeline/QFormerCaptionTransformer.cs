using System.Security.Cryptography;
using System.Text.Json;
using Microsoft.ML;
using Microsoft.ML.Data;
using Microsoft.ML.Runtime;
using Microsoft.ML.VideoCaptioning.Engine;
using Microsoft.ML.VideoCaptioning.Models;
using Microsoft.ML.VideoCaptioning.Models.QFormer;
using Microsoft.ML.VideoCaptioning.Models.Qwen2;
using Microsoft.ML.VideoCaptioning.Text;
using Microsoft.ML.VideoCaptioning.Training;

namespace Microsoft.ML.VideoCaptioning;

/// <summary>
/// The trained captioner: the Q-Former turns a row's visual features into a prefix for the frozen Qwen2, which writes
/// the caption. <c>Transform</c> generates for <see cref="PredictionBatchSize"/> rows at a time.
/// </summary>
/// <remarks>
/// | Input column | Type | Output column | Type |
/// |---|---|---|---|
/// | features | Vector of Single (tokens, hidden) | caption | Text (empty for a row whose video failed) |
/// | | | embedding (when <see cref="EmbeddingColumnName"/> is set) | Vector of Single (hidden): the Q-Former outputs mean-pooled and L2-normalised, for similarity search and clustering |
/// </remarks>
public sealed class QFormerCaptionTransformer : ITransformer, IDisposable
{
    internal const string LoaderSignature = "VidcapQFormerCaptioner";
    private static VersionInfo Version => MLNet.Version("VIDQFCAP", 0x00010002, LoaderSignature, typeof(QFormerCaptionTransformer));

    private readonly IHost _host;
    private readonly object _gate = new();
    private readonly byte[] _tokenizerJson;
    private readonly FrozenModelReference _languageModel;
    private readonly TemporaryDirectory? _scratch;

    internal QFormerCaptionTransformer(IHostEnvironment env, string featureColumnName, string captionColumnName, QFormerModel qformer, Qwen2ForCausalLM lm,
        FrozenModelReference languageModel, Qwen2Tokenizer tokenizer, byte[] tokenizerJson, string prompt, GenerationOptions generation, int predictionBatchSize,
        bool embedLanguageModel, TemporaryDirectory? scratch)
    {
        _host = MLNet.Host(env, nameof(QFormerCaptionTransformer));
        FeatureColumnName = featureColumnName;
        CaptionColumnName = captionColumnName;
        _tokenizerJson = tokenizerJson;
        Tokenizer = tokenizer;
        Prompt = prompt;
        Model = new VideoCaptionModel(qformer, lm, Tokenizer.Encode(prompt).Select(i => (long)i).ToArray());
        Generation = generation;
        PredictionBatchSize = Math.Max(1, predictionBatchSize);
        _languageModel = languageModel;
        EmbedLanguageModel = embedLanguageModel;
        _scratch = scratch;
    }

    public string FeatureColumnName { get; }
    public string CaptionColumnName { get; }

    /// <summary>Q-Former + frozen language model + prompt.</summary>
    public VideoCaptionModel Model { get; }
    public Qwen2Tokenizer Tokenizer { get; }
    public string Prompt { get; }
    /// <summary>Decoding settings (greedy by default; beam search and sampling available).</summary>
    public GenerationOptions Generation { get; set; }
    /// <summary>Rows per generation call in <c>Transform</c>.</summary>
    public int PredictionBatchSize { get; }
    /// <summary>Copy the language model into the zip on save (default: reference it by path and hash).</summary>
    public bool EmbedLanguageModel { get; set; }
    /// <summary>Directory of the frozen language model this captioner uses.</summary>
    public string LanguageModelPath => _languageModel.Path;
    /// <summary>
    /// Also output each row's video embedding in this column (null, the default, = off, so prediction costs nothing more):
    /// the Q-Former's query outputs mean-pooled and L2-normalised, so a dot product is the cosine similarity.
    /// </summary>
    public string? EmbeddingColumnName { get; set; }

    /// <summary>Epoch summaries of the training run (empty for a loaded model).</summary>
    public IReadOnlyList<EpochSummary> TrainingHistory { get; init; } = [];

    public bool IsRowToRowMapper => true;

    public DataViewSchema GetOutputSchema(DataViewSchema inputSchema) => new Mapper(this, inputSchema).OutputSchema;

    public IRowToRowMapper GetRowToRowMapper(DataViewSchema inputSchema) => new Mapper(this, inputSchema);

    public IDataView Transform(IDataView input) => new Mapper(this, input.Schema).Transform(input);

    /// <summary>Captions for a batch of feature tensors (N, hidden); null entries (failed videos) get null.</summary>
    public string?[] Caption(IReadOnlyList<Tensor?> features) => Run(features, embed: false).Captions;

    /// <summary>Video embeddings (hidden) for a batch of feature tensors; null entries (failed videos) get null.</summary>
    public float[]?[] Embed(IReadOnlyList<Tensor?> features) => Run(features, embed: true).Embeddings!;

    /// <summary>Captions, and with <paramref name="embed"/> embeddings, from one Q-Former pass over the batch.</summary>
    private (string?[] Captions, float[]?[]? Embeddings) Run(IReadOnlyList<Tensor?> features, bool embed)
    {
        var captions = new string?[features.Count];
        var embeddings = embed ? new float[]?[features.Count] : null;
        var ok = Enumerable.Range(0, features.Count).Where(i => features[i] != null).ToArray();
        if (ok.Length == 0) return (captions, embeddings);
        // one batch at a time on the shared model; callers on other threads queue here
        lock (_gate)
        {
            using var scope = TensorScope.Open();
            using var noGrad = Torch.NoGrad();
            var visual = Model.VisualPrefix(Tensor.Stack(ok.Select(i => features[i]!).ToList(), 0));
            var ids = Model.GenerateFromVisualPrefix(visual, Generation);
            var pooled = embed ? VideoCaptionModel.PooledEmbedding(visual) : null;
            for (int j = 0; j < ok.Length; j++)
            {
                captions[ok[j]] = Tokenizer.Decode(ids[j].Select(v => (int)v).ToArray(), skipSpecialTokens: true).Trim();
                if (pooled != null) embeddings![ok[j]] = pooled.Select(0, j).Contiguous().ToArray<float>();
            }
        }
        return (captions, embeddings);
    }

    void ICanSaveModel.Save(ModelSaveContext ctx)
    {
        MLNet.BeginSave(ctx, Version);
        var w = ctx.Writer;
        w.Write(FeatureColumnName);
        w.Write(CaptionColumnName);
        w.Write(Prompt);
        w.Write(JsonSerializer.Serialize(Generation));
        w.Write(PredictionBatchSize);
        w.Write(EmbeddingColumnName ?? "");
        w.Write(Model.LanguageModel.model.embed_tokens.weight.DType.Name());
        var staging = Directory.CreateTempSubdirectory("vidcap-save-").FullName;
        try
        {
            Model.QFormer.SavePretrained(staging);
            File.WriteAllBytes(Path.Combine(staging, "tokenizer.json"), _tokenizerJson);
            string[] files = ["qformer_config.json", "model.safetensors", "tokenizer.json"];
            w.Write(files.Length);
            foreach (var f in files)
            {
                var bytes = File.ReadAllBytes(Path.Combine(staging, f));
                w.Write(f);
                w.Write(Convert.ToHexStringLower(SHA256.HashData(bytes)));
                MLNet.SaveStream(ctx, "QFormer." + f, s => s.Write(bytes));
            }
        }
        finally
        {
            Directory.Delete(staging, true);
        }
        (_languageModel with { Embedded = EmbedLanguageModel }).Save(ctx, "LanguageModel");
    }

    private static QFormerCaptionTransformer Create(IHostEnvironment env, ModelLoadContext ctx)
    {
        MLNet.BeginLoad(ctx, Version);
        var load = VideoCaptioningLoadOptions.Current;
        var r = ctx.Reader;
        string features = r.ReadString(), caption = r.ReadString(), prompt = r.ReadString();
        var generation = JsonSerializer.Deserialize<GenerationOptions>(r.ReadString()) ?? new GenerationOptions();
        int batch = r.ReadInt32();
        string embedding = r.ReadString();
        var savedType = DTypes.Parse(r.ReadString());
        var scratch = new TemporaryDirectory();
        try
        {
            var qdir = scratch.Create("QFormer");
            int n = r.ReadInt32();
            if (n is < 1 or > 64) throw new ModelPackageException($"The captioner lists {n} files; the model zip is corrupt.");
            for (int i = 0; i < n; i++)
            {
                string name = FrozenModelReference.SafeName(r.ReadString()), sha = r.ReadString();
                byte[]? bytes = null;
                if (!MLNet.TryLoadStream(ctx, "QFormer." + name, s =>
                    {
                        using var m = new MemoryStream();
                        s.CopyTo(m);
                        bytes = m.ToArray();
                    }))
                    throw new ModelPackageException($"The model zip lacks the captioner's '{name}'; it is truncated or corrupt.");
                if (Convert.ToHexStringLower(SHA256.HashData(bytes)) != sha)
                    throw new ModelPackageException($"The captioner's '{name}' in the model zip does not match its recorded sha256: the file was modified or damaged.");
                File.WriteAllBytes(Path.Combine(qdir, name), bytes!);
            }
            var lmRef = FrozenModelReference.Read(ctx, out var lmFiles);
            var lmDir = lmRef.Resolve(ctx, "LanguageModel", lmFiles, load.LanguageModelPath, load.SkipFrozenModelVerification, scratch,
                "LanguageModelPath (--language-model)");
            var device = MLNet.ResolveDevice(env, null, null);
            var lmType = load.LanguageModelDType ?? (device.IsCuda ? DType.BFloat16 : savedType);
            // A float32 model on a CPU with bfloat16 dot products multiplies in bfloat16 inside its decoder layers, and greedy
            // decoding ranks the vocabulary with a bfloat16 copy of the head and rescores the best candidates in float32:
            // over twice as fast, greedy ids as float32's on the reference fixtures (docs/benchmarks.md, issue 19).
            DType? layerProducts = load.LanguageModelDType == null && !device.IsCuda && lmType == DType.Float32 && CpuFeatures.HasBfloat16
                ? DType.BFloat16 : null;
            var lm = Qwen2ForCausalLM.FromPretrained(lmDir, new TensorOptions(device, lmType), layerProducts);
            try
            {
                var q = QFormerModel.FromPretrained(qdir, new TensorOptions(device, DType.Float32));
                q.Freeze();
                var tokenizerFile = Path.Combine(qdir, "tokenizer.json");
                return new QFormerCaptionTransformer(env, features, caption, q, lm, lmRef with { Path = lmDir },
                    Qwen2Tokenizer.FromTokenizerJson(tokenizerFile), File.ReadAllBytes(tokenizerFile), prompt, generation, batch, lmRef.Embedded, scratch)
                {
                    EmbeddingColumnName = embedding.Length > 0 ? embedding : null,
                };
            }
            catch
            {
                lm.Dispose();
                throw;
            }
        }
        catch (Exception e) when (e is InvalidDataException or JsonException or EndOfStreamException)
        {
            scratch.Dispose();
            throw new ModelPackageException($"The captioner in the model zip cannot be read ({e.Message}).", e);
        }
        catch
        {
            scratch.Dispose();
            throw;
        }
    }

    public void Dispose()
    {
        Model.QFormer.Dispose();
        Model.LanguageModel.Dispose();
        _scratch?.Dispose();
    }

    private sealed class Mapper : BatchRowMapper
    {
        private readonly QFormerCaptionTransformer _parent;
        private readonly DataViewSchema.Column _features;
        private readonly int _tokens, _dim, _embeddingDim;

        public Mapper(QFormerCaptionTransformer parent, DataViewSchema input) : base(input, parent.PredictionBatchSize)
        {
            _parent = parent;
            (_features, _tokens, _dim) = FeatureColumn(input, parent.FeatureColumnName);
            int expected = parent.Model.QFormer.Config.VisualDim;
            if (_dim != expected)
                throw MLNet.WrongColumnType("features", parent.FeatureColumnName, $"Vector<Single, tokens, {expected}>", _features.Type.ToString());
            var caption = new DataViewSchema.DetachedColumn(parent.CaptionColumnName, TextDataViewType.Instance);
            _embeddingDim = parent.Model.LanguageModel.Config.HiddenSize;
            AddedColumns = parent.EmbeddingColumnName is { } e
                ? [caption, new DataViewSchema.DetachedColumn(e, new VectorDataViewType(NumberDataViewType.Single, _embeddingDim))]
                : [caption];
        }

        protected override IReadOnlyList<DataViewSchema.DetachedColumn> AddedColumns { get; }

        protected override IEnumerable<DataViewSchema.Column> Inputs => [_features];

        protected override object Prepare(DataViewRow input) => ReadFeatures(input, _features);

        protected override object[][] Compute(IReadOnlyList<object> prepared)
        {
            using var scope = TensorScope.Open();
            var tensors = prepared.Select(p => p is float[] v ? Tensor.From(v, _tokens, _dim) : null).ToList();
            var (captions, embeddings) = _parent.Run(tensors, embed: AddedColumns.Count > 1);
            if (embeddings == null) return captions.Select(c => new object[] { (c ?? "").AsMemory() }).ToArray();
            return captions.Select((c, i) => new object[]
            {
                (c ?? "").AsMemory(),
                embeddings[i] is { } v ? new VBuffer<float>(_embeddingDim, v) : new VBuffer<float>(_embeddingDim, 0, [], []),
            }).ToArray();
        }
    }

    /// <summary>The features column, its token count and width; throws ML.NET's schema errors when it is missing or mistyped.</summary>
    internal static (DataViewSchema.Column Column, int Tokens, int Dim) FeatureColumn(DataViewSchema schema, string name)
    {
        var c = schema.GetColumnOrNull(name) ?? throw MLNet.MissingColumn("features", name);
        if (c.Type is not VectorDataViewType { ItemType: NumberDataViewType n, Dimensions.Length: 2 } v || n != NumberDataViewType.Single || !v.IsKnownSize)
            throw MLNet.WrongColumnType("features", name, "Vector<Single, tokens, hidden>", c.Type.ToString());
        return (c, v.Dimensions[0], v.Dimensions[1]);
    }

    /// <summary>A row's features as a dense array, or null when the row has none (its video failed).</summary>
    internal static float[]? ReadFeatures(DataViewRow row, DataViewSchema.Column column)
    {
        var v = (VBuffer<float>)BatchRowMapper.ReadValue(row, column);
        return v.IsDense && v.Length > 0 ? v.GetValues().ToArray() : null;
    }
}
