using AiGuard.Anomaly;
using Microsoft.Extensions.Time.Testing;

namespace AiGuard.Tests.Anomaly;

public sealed class ClientTrackerTests
{
    [Fact]
    public void A_flood_of_new_identities_never_grows_the_table_beyond_its_cap()
    {
        var time = new FakeTimeProvider();
        var tracker = new ClientTracker(time, maxClients: 100, idleExpiry: TimeSpan.FromHours(1));

        for (var i = 0; i < 10_000; i++)
        {
            tracker.Get("flood-" + i);
            time.Advance(TimeSpan.FromMilliseconds(1));
        }

        Assert.InRange(tracker.Count, 1, 100);
        Assert.True(tracker.Evicted >= 9_900);
    }

    [Fact]
    public void The_least_recently_seen_clients_go_first()
    {
        var time = new FakeTimeProvider();
        var tracker = new ClientTracker(time, maxClients: 16, idleExpiry: TimeSpan.FromHours(1));
        for (var i = 0; i < 16; i++)
        {
            tracker.Get("c" + i);
            time.Advance(TimeSpan.FromSeconds(1));
        }

        // c0 is seen again, so it is the most recent; the next newcomer evicts the oldest eighth (c1, c2).
        tracker.Get("c0");
        time.Advance(TimeSpan.FromSeconds(1));
        tracker.Get("new");

        Assert.NotNull(tracker.Find("c0"));
        Assert.Null(tracker.Find("c1"));
        Assert.Null(tracker.Find("c2"));
        Assert.NotNull(tracker.Find("c3"));
        Assert.NotNull(tracker.Find("new"));
    }

    [Fact]
    public void An_idle_client_starts_over()
    {
        var time = new FakeTimeProvider();
        var tracker = new ClientTracker(time, maxClients: 10, idleExpiry: TimeSpan.FromMinutes(10));
        var client = tracker.Get("c");
        client.Behaviour.ObserveTensor(0, [1, 2, 3, 4], 4, reference: null);
        client.Level = 1;

        time.Advance(TimeSpan.FromMinutes(9));
        Assert.Equal(1, tracker.Get("c").Behaviour.Requests);

        time.Advance(TimeSpan.FromMinutes(11));
        var again = tracker.Get("c");
        Assert.Same(client, again);
        Assert.Equal(0, again.Behaviour.Requests);
        Assert.Equal(-1, again.Level);
    }

    [Fact]
    public void Quarantines_expire_and_the_later_expiry_wins()
    {
        var time = new FakeTimeProvider();
        var list = new QuarantineList(time);
        var now = time.GetUtcNow();
        string? told = null;
        list.Added += (client, _, _) => told = client;

        list.Add("a", now.AddMinutes(10), "first");
        list.Add("a", now.AddMinutes(5), "shorter");
        list.AddLocal("b", now.AddMinutes(1), "from another replica");
        list.AddLocal("c", now.AddMinutes(-1), "already over");

        Assert.Equal("a", told);
        Assert.True(list.IsQuarantined("a", out var until));
        Assert.Equal(now.AddMinutes(10), until);
        Assert.True(list.IsQuarantined("b", out _));
        Assert.False(list.IsQuarantined("c", out _));

        time.Advance(TimeSpan.FromMinutes(2));
        Assert.False(list.IsQuarantined("b", out _));
        Assert.Equal(["a"], list.List().Select(e => e.Client));
        Assert.True(list.Remove("a"));
        Assert.True(list.IsEmpty);
    }
}
