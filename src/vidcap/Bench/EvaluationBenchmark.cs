using System.Diagnostics;
using System.Text;

using Microsoft.ML.VideoCaptioning.Evaluation;

namespace Microsoft.ML.VideoCaptioning.Cli.Bench;

/// <summary>Throughput check of <see cref="CaptionEvaluator"/> on synthetic captions drawn from a fixed vocabulary.</summary>
public static class EvaluationBenchmark
{
    private static readonly string[] Subjects = ["a man", "a woman", "the person", "someone", "a child", "the hand", "a boy", "two people", "a dog", "the girl"];
    private static readonly string[] Verbs =
    [
        "is holding", "holds", "picks up", "is picking up", "drops", "dropped", "puts", "is putting", "moves", "moving", "pushes",
        "is pushing", "pulls", "pulled", "turns", "is turning", "opens", "is opening", "closes", "closing", "throws", "threw", "lifts",
        "is lifting", "covers", "is covering", "spins", "spinning", "tears", "is tearing", "folds", "folded", "shows", "showing",
    ];
    private static readonly string[] Adjectives = ["red", "small", "large", "wooden", "blue", "empty", "plastic", "white", "old", "green", "little", "big"];
    private static readonly string[] Objects =
    [
        "cup", "bottle", "box", "pen", "book", "phone", "ball", "bag", "glass", "paper", "towel", "spoon", "jar", "shoe", "plate",
        "pencil", "cloth", "card", "coin", "lid", "drawer", "toy", "remote", "bowl", "mug", "key", "napkin", "wallet", "candle",
    ];
    private static readonly string[] Places = ["on the table", "onto the floor", "into a box", "next to a cup", "off the desk", "in front of the camera", "behind the book", "under a chair"];
    private static readonly string[] Endings = ["", ".", " slowly.", " with one hand", ", then lets go.", " quickly!", " carefully", " (twice)"];

    /// <summary>
    /// Generates <paramref name="items"/> items with <paramref name="refsPerItem"/> references each (seeded), evaluates
    /// them once to warm up (Meteor data load, JIT tiering), then times a second full evaluation.
    /// </summary>
    public static EvaluationBenchmarkResult Run(int items, int refsPerItem, int seed, string? meteorDataDirectory = null)
    {
        var (references, candidates) = Generate(items, refsPerItem, seed);
        var evaluator = new CaptionEvaluator(new CaptionEvaluatorOptions { MeteorDataDirectory = meteorDataDirectory });
        evaluator.Evaluate(references, candidates);

        var watch = Stopwatch.StartNew();
        var metrics = evaluator.Evaluate(references, candidates);
        watch.Stop();
        return new EvaluationBenchmarkResult(items, refsPerItem, watch.Elapsed, items / watch.Elapsed.TotalSeconds, metrics.ToDictionary());
    }

    /// <summary>Seeded synthetic data: <paramref name="items"/> candidates with <paramref name="refsPerItem"/> references each.</summary>
    public static (Dictionary<string, IReadOnlyList<string>> References, Dictionary<string, string> Candidates) Generate(int items, int refsPerItem, int seed)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(items, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(refsPerItem, 1);
        var random = new Random(seed);
        var references = new Dictionary<string, IReadOnlyList<string>>();
        var candidates = new Dictionary<string, string>();
        for (int i = 0; i < items; i++)
        {
            string subject = Pick(random, Subjects), obj = Pick(random, Objects);
            var refs = new string[refsPerItem];
            for (int r = 0; r < refsPerItem; r++)
                refs[r] = Caption(random, random.Next(4) == 0 ? Pick(random, Subjects) : subject, random.Next(3) == 0 ? Pick(random, Objects) : obj);
            string id = $"item{i:D6}";
            references[id] = refs;
            candidates[id] = Caption(random, subject, random.Next(2) == 0 ? obj : Pick(random, Objects));
        }
        return (references, candidates);
    }

    private static string Pick(Random random, string[] words) => words[random.Next(words.Length)];

    private static string Caption(Random random, string subject, string obj)
    {
        var sb = new StringBuilder();
        sb.Append(random.Next(5) == 0 ? char.ToUpperInvariant(subject[0]) + subject[1..] : subject);
        sb.Append(' ').Append(Pick(random, Verbs)).Append(random.Next(2) == 0 ? " a " : " the ");
        if (random.Next(2) == 0) sb.Append(Pick(random, Adjectives)).Append(' ');
        sb.Append(obj);
        if (random.Next(3) > 0) sb.Append(' ').Append(Pick(random, Places));
        sb.Append(Pick(random, Endings));
        return sb.ToString();
    }
}
