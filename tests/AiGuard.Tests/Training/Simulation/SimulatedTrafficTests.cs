using AiGuard.Training.Evaluation;

namespace AiGuard.Tests.Training.Simulation;

public sealed class SimulatedTrafficTests
{
    [Fact]
    public void The_same_plan_gives_the_same_features_however_the_clients_interleave()
    {
        var plan = new TrafficPlan { ClientsPerFamily = 1, MaxQueries = 60, Seed = 5 };
        var clients = plan.Clients();

        var parallel = SimulatedTraffic.Run(clients);
        var again = SimulatedTraffic.Run(clients);
        var oneByOne = clients.Select(c => SimulatedTraffic.Run([c])[0]).ToArray();

        for (var i = 0; i < clients.Count; i++)
        {
            var family = $"{clients[i].Family} on {clients[i].Victim}";
            Assert.True(parallel[i].Rows.Length == oneByOne[i].Rows.Length, family);
            for (var r = 0; r < parallel[i].Rows.Length; r++)
            {
                Assert.True(parallel[i].Rows[r].AsSpan().SequenceEqual(oneByOne[i].Rows[r]), $"{family}: request {r} differs when run alone: " + string.Join(", ", Enumerable.Range(0, parallel[i].Rows[r].Length).Where(k => parallel[i].Rows[r][k] != oneByOne[i].Rows[r][k]).Select(k => $"{AiGuard.Anomaly.AnomalyFeatures.Names[k]} {parallel[i].Rows[r][k]} vs {oneByOne[i].Rows[r][k]}")));
                Assert.True(parallel[i].Rows[r].AsSpan().SequenceEqual(again[i].Rows[r]), $"{family}: request {r} differs between two runs");
            }
        }
    }
}
