using AiGuard.Training.Evaluation;

namespace AiGuard.Tests.Training.Simulation;

public sealed class AnomalyStudyTests
{
    [Fact]
    public void The_tuning_plan_holds_only_benign_clients_four_times_as_many_a_family_on_the_next_seed()
    {
        var options = new StudyOptions { ClientsPerFamily = 3, Seed = 11 };
        var plan = new TrafficPlan { ClientsPerFamily = 3, Seed = 11 };

        var tuning = AnomalyStudy.TuningPlan(plan, options).Clients();

        Assert.All(tuning, c => Assert.False(c.IsAttack, c.Family));
        var benign = plan.Clients().Where(c => !c.IsAttack).ToArray();
        Assert.Equal(4 * benign.Length, tuning.Count);
        Assert.Equal(
            benign.Select(c => (c.Family, c.Victim)).Distinct().Order(),
            tuning.Select(c => (c.Family, c.Victim)).Distinct().Order());
        // Seeds of their own: no tuning client repeats a training client of the same plan.
        Assert.Empty(tuning.Select(c => c.Seed).Intersect(plan.Clients().Select(c => c.Seed)));
        Assert.Equal(10 * benign.Length / 3, AnomalyStudy.TuningPlan(plan, options with { TuningClientsPerFamily = 10 }).Clients().Count);
    }

    [Fact]
    public void Each_kind_of_client_gets_the_lowest_threshold_that_flags_none_of_its_benign_tuning_clients()
    {
        var options = new StudyOptions { ClientsPerFamily = 2, MaxQueries = 80, Seed = 3, TuningClientsPerFamily = 3, Trees = new() { Trees = 20, MinRowsPerLeaf = 10 } };
        var plan = new TrafficPlan { ClientsPerFamily = 2, MaxQueries = 80, Seed = 3 };
        var training = SimulatedTraffic.Run(plan.Clients());
        var tuning = SimulatedTraffic.Run(AnomalyStudy.TuningPlan(plan, options).Clients());

        using var model = AnomalyStudy.TrainAndTune(training, tuning, options);

        var (max, first) = DetectionReport.Score(model.Scorer, tuning, model.ThresholdFor, options.MinRequests);
        Assert.All(first, f => Assert.Equal(0, f));
        var text = tuning.Select((t, i) => (t, i)).Where(x => x.t.Spec.IsChat).Select(x => max[x.i]).ToArray();
        var tensor = tuning.Select((t, i) => (t, i)).Where(x => !x.t.Spec.IsChat).Select(x => max[x.i]).ToArray();
        Assert.NotEmpty(text);
        Assert.NotEmpty(tensor);
        Assert.Equal(Math.Min(1.0, Math.BitIncrement((double)text.Max())), model.TextThreshold);
        Assert.Equal(Math.Min(1.0, Math.BitIncrement((double)tensor.Max())), model.TensorThreshold);
        Assert.Equal(model.TextThreshold, model.ThresholdFor(tuning.First(t => t.Spec.IsChat).Spec));
        Assert.Equal(model.TensorThreshold, model.ThresholdFor(tuning.First(t => !t.Spec.IsChat).Spec));
    }
}
