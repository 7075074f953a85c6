using System.Globalization;
using System.Text;
using Microsoft.ML.VideoCaptioning.Evaluation.Meteor;

namespace Microsoft.ML.VideoCaptioning.Evaluation;

/// <summary>
/// Meteor sufficient statistics of one item (the best-scoring reference) or of a whole corpus (summed), in the order of
/// Meteor 1.5's 23-number statistics line. Module index 0..3 is exact, stem, synonym, paraphrase.
/// </summary>
public sealed class MeteorStatistics
{
    private const int Modules = MeteorAligner.ModuleCount;

    /// <summary>Words in the candidate (test) line after Meteor normalization.</summary>
    public double TestLength { get; private set; }

    /// <summary>Words in the reference line after Meteor normalization.</summary>
    public double ReferenceLength { get; private set; }

    /// <summary>Function words in the candidate line.</summary>
    public double TestFunctionWords { get; private set; }

    /// <summary>Function words in the reference line.</summary>
    public double ReferenceFunctionWords { get; private set; }

    private readonly double[] _testContent = new double[Modules];
    private readonly double[] _referenceContent = new double[Modules];
    private readonly double[] _testFunction = new double[Modules];
    private readonly double[] _referenceFunction = new double[Modules];

    /// <summary>Matched candidate content words per module.</summary>
    public IReadOnlyList<double> TestContentMatches => _testContent;

    /// <summary>Matched reference content words per module.</summary>
    public IReadOnlyList<double> ReferenceContentMatches => _referenceContent;

    /// <summary>Matched candidate function words per module.</summary>
    public IReadOnlyList<double> TestFunctionMatches => _testFunction;

    /// <summary>Matched reference function words per module.</summary>
    public IReadOnlyList<double> ReferenceFunctionMatches => _referenceFunction;

    /// <summary>Number of chunks (runs of adjacent matches in the same order on both sides).</summary>
    public double Chunks { get; private set; }

    /// <summary>Matched candidate words.</summary>
    public double TestWordMatches { get; private set; }

    /// <summary>Matched reference words.</summary>
    public double ReferenceWordMatches { get; private set; }

    /// <summary>The Meteor score of these statistics (alpha 0.85, beta 0.2, gamma 0.6, delta 0.75).</summary>
    public double Score { get; private set; }

    internal double TestTotalMatches { get; private set; }

    internal double ReferenceTotalMatches { get; private set; }

    internal static MeteorStatistics FromAlignment(MeteorSentence test, MeteorSentence reference, MeteorAlignment alignment)
    {
        var s = new MeteorStatistics
        {
            TestLength = test.Words.Length,
            ReferenceLength = reference.Words.Length,
            TestFunctionWords = test.IsFunctionWord.Count(f => f),
            ReferenceFunctionWords = reference.IsFunctionWord.Count(f => f),
            Chunks = alignment.Chunks,
        };
        for (int i = 0; i < Modules; i++)
        {
            s._testContent[i] = alignment.ContentMatches1[i];
            s._referenceContent[i] = alignment.ContentMatches2[i];
            s._testFunction[i] = alignment.FunctionMatches1[i];
            s._referenceFunction[i] = alignment.FunctionMatches2[i];
            s.TestWordMatches += alignment.ContentMatches1[i] + alignment.FunctionMatches1[i];
            s.ReferenceWordMatches += alignment.ContentMatches2[i] + alignment.FunctionMatches2[i];
        }
        s.ComputeTotalsAndScore();
        return s;
    }

    /// <summary>Sums item statistics as Meteor does; chunks of perfectly matched items are not added.</summary>
    internal static MeteorStatistics Sum(IEnumerable<MeteorStatistics> items)
    {
        var total = new MeteorStatistics();
        foreach (var s in items)
        {
            total.TestLength += s.TestLength;
            total.ReferenceLength += s.ReferenceLength;
            total.TestFunctionWords += s.TestFunctionWords;
            total.ReferenceFunctionWords += s.ReferenceFunctionWords;
            for (int i = 0; i < Modules; i++)
            {
                total._testContent[i] += s._testContent[i];
                total._referenceContent[i] += s._referenceContent[i];
                total._testFunction[i] += s._testFunction[i];
                total._referenceFunction[i] += s._referenceFunction[i];
            }
            if (!s.IsPerfect) total.Chunks += s.Chunks;
            total.TestWordMatches += s.TestWordMatches;
            total.ReferenceWordMatches += s.ReferenceWordMatches;
        }
        total.ComputeTotalsAndScore();
        return total;
    }

    private bool IsPerfect => TestTotalMatches == TestLength && ReferenceTotalMatches == ReferenceLength && Chunks == 1;

    private static readonly double[] ModuleWeights = [1.0, 0.6, 0.8, 0.6];
    private const double Alpha = 0.85, Beta = 0.2, Gamma = 0.6, Delta = 0.75;

    // MeteorScorer.computeMetrics, with Java's evaluation order.
    private void ComputeTotalsAndScore()
    {
        TestTotalMatches = 0;
        ReferenceTotalMatches = 0;
        for (int i = 0; i < Modules; i++)
        {
            TestTotalMatches += _testContent[i];
            TestTotalMatches += _testFunction[i];
            ReferenceTotalMatches += _referenceContent[i];
            ReferenceTotalMatches += _referenceFunction[i];
        }

        double testWeightedLength = (Delta * (TestLength - TestFunctionWords)) + ((1.0 - Delta) * TestFunctionWords);
        double referenceWeightedLength = (Delta * (ReferenceLength - ReferenceFunctionWords)) + ((1.0 - Delta) * ReferenceFunctionWords);
        double testWeightedMatches = 0, referenceWeightedMatches = 0;
        for (int i = 0; i < Modules; i++) testWeightedMatches += _testContent[i] * ModuleWeights[i] * Delta;
        for (int i = 0; i < Modules; i++) referenceWeightedMatches += _referenceContent[i] * ModuleWeights[i] * Delta;
        for (int i = 0; i < Modules; i++) testWeightedMatches += _testFunction[i] * ModuleWeights[i] * (1.0 - Delta);
        for (int i = 0; i < Modules; i++) referenceWeightedMatches += _referenceFunction[i] * ModuleWeights[i] * (1.0 - Delta);

        double precision = testWeightedMatches / testWeightedLength;
        double recall = referenceWeightedMatches / referenceWeightedLength;
        double fMean = 1.0 / (((1.0 - Alpha) / precision) + (Alpha / recall));
        double fragmentation = TestTotalMatches == TestLength && ReferenceTotalMatches == ReferenceLength && Chunks == 1
            ? 0
            : Chunks / ((TestWordMatches + ReferenceWordMatches) / 2);
        double penalty = Gamma * Math.Pow(fragmentation, Beta);
        double score = fMean * (1.0 - penalty);
        Score = double.IsNaN(score) ? 0 : Math.Max(score, 0.0);
    }

    /// <summary>The statistics as Meteor prints them ("7.0 6.0 2.0 ...", 23 numbers).</summary>
    public override string ToString()
    {
        var sb = new StringBuilder();
        void Add(double v)
        {
            if (sb.Length > 0) sb.Append(' ');
            sb.Append(v.ToString("0.0###############", CultureInfo.InvariantCulture));
        }
        Add(TestLength);
        Add(ReferenceLength);
        Add(TestFunctionWords);
        Add(ReferenceFunctionWords);
        for (int i = 0; i < Modules; i++)
        {
            Add(_testContent[i]);
            Add(_referenceContent[i]);
            Add(_testFunction[i]);
            Add(_referenceFunction[i]);
        }
        Add(Chunks);
        Add(TestWordMatches);
        Add(ReferenceWordMatches);
        return sb.ToString();
    }
}
