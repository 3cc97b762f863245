using System.Globalization;
using AiGuard.Limits;
using Microsoft.Extensions.Logging;
using StackExchange.Redis;

namespace AiGuard.Anomaly;

/// <summary>
/// Shares the quarantine list through Redis: each quarantine is a key with the quarantine's
/// expiry (so a replica that starts later finds it) and a message on a channel (so running
/// replicas learn it within a round trip). Requests never wait for Redis: each replica checks its
/// own copy of the list.
/// </summary>
/// <remarks>
/// When Redis is down, quarantines stay local; when it returns, each replica publishes what it
/// holds and reads back what the others stored.
/// </remarks>
public sealed partial class QuarantineReplication
{
    private readonly QuarantineList _list;
    private readonly RedisStore _redis;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly RedisChannel _channel;

    /// <summary>The message body that lifts a quarantine (an expiry is always digits, so it never reads as one).</summary>
    private const string RemovedMarker = "removed";

    public QuarantineReplication(QuarantineList list, RedisStore redis, TimeProvider time, ILogger logger)
    {
        _list = list;
        _redis = redis;
        _time = time;
        _logger = logger;
        _channel = RedisChannel.Literal(redis.KeyPrefix + "quarantine");
        list.Added += (client, until, reason) => _ = PublishAsync(client, until, reason);
        list.Removed += client => _ = PublishRemovalAsync(client);
        redis.Restored += (_, _) => _ = ResyncAsync();
        _ = StartAsync();
    }

    /// <summary>Completes once the subscription is in place and the stored quarantines are loaded (tests wait on it).</summary>
    public Task Ready { get; private set; } = Task.CompletedTask;

    private Task StartAsync()
    {
        Ready = Task.Run(async () =>
        {
            try
            {
                await _redis.Subscriber.SubscribeAsync(_channel, (_, message) => Receive(message));
                await LoadAsync();
            }
            catch (Exception ex) when (ex is RedisException or TimeoutException)
            {
                LogUnavailable(_logger, ex.Message);
            }
        });
        return Ready;
    }

    private string Key(string client) => _redis.KeyPrefix + "quarantine:" + client;

    private async Task PublishAsync(string client, DateTimeOffset until, string reason)
    {
        try
        {
            var left = until - _time.GetUtcNow();
            if (left <= TimeSpan.Zero)
            {
                return;
            }

            await _redis.Database.StringSetAsync(Key(client), Encode(until, reason), left);
            await _redis.Subscriber.PublishAsync(_channel, client + "\n" + Encode(until, reason));
        }
        catch (Exception ex) when (ex is RedisException or TimeoutException)
        {
            LogUnavailable(_logger, ex.Message);
        }
    }

    /// <summary>Deletes the stored quarantine and tells running replicas to lift theirs (an operator's removal).</summary>
    private async Task PublishRemovalAsync(string client)
    {
        try
        {
            await _redis.Database.KeyDeleteAsync(Key(client));
            await _redis.Subscriber.PublishAsync(_channel, client + "\n" + RemovedMarker);
        }
        catch (Exception ex) when (ex is RedisException or TimeoutException)
        {
            LogUnavailable(_logger, ex.Message);
        }
    }

    private void Receive(RedisValue message)
    {
        var text = (string?)message;
        var split = text?.IndexOf('\n', StringComparison.Ordinal) ?? -1;
        if (split > 0 && text.AsSpan(split + 1).SequenceEqual(RemovedMarker))
        {
            _list.RemoveLocal(text![..split]);
            return;
        }

        if (split <= 0 || !TryDecode(text![(split + 1)..], out var until, out var reason))
        {
            return;
        }

        _list.AddLocal(text[..split], until, reason);
    }

    private async Task LoadAsync()
    {
        var prefix = _redis.KeyPrefix + "quarantine:";
        foreach (var server in _redis.Servers)
        {
            if (!server.IsConnected || server.IsReplica)
            {
                continue;
            }

            await foreach (var key in server.KeysAsync(pattern: prefix + "*", pageSize: 500))
            {
                var value = await _redis.Database.StringGetAsync(key);
                if (TryDecode(value, out var until, out var reason))
                {
                    _list.AddLocal(((string)key!)[prefix.Length..], until, reason);
                }
            }
        }
    }

    private async Task ResyncAsync()
    {
        foreach (var (client, until, reason) in _list.List())
        {
            await PublishAsync(client, until, reason);
        }

        try
        {
            await LoadAsync();
        }
        catch (Exception ex) when (ex is RedisException or TimeoutException)
        {
            LogUnavailable(_logger, ex.Message);
        }
    }

    private static string Encode(DateTimeOffset until, string reason) =>
        until.ToUnixTimeMilliseconds().ToString(CultureInfo.InvariantCulture) + "\n" + reason;

    private static bool TryDecode(RedisValue value, out DateTimeOffset until, out string reason)
    {
        until = default;
        reason = string.Empty;
        var text = (string?)value;
        if (text is null)
        {
            return false;
        }

        var split = text.IndexOf('\n', StringComparison.Ordinal);
        var stamp = split < 0 ? text : text[..split];
        if (!long.TryParse(stamp, NumberStyles.None, CultureInfo.InvariantCulture, out var milliseconds))
        {
            return false;
        }

        until = DateTimeOffset.FromUnixTimeMilliseconds(milliseconds);
        reason = split < 0 ? string.Empty : text[(split + 1)..];
        return true;
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "The quarantine list could not be shared through Redis ({Problem}); quarantines stay on this replica until Redis returns")]
    private static partial void LogUnavailable(ILogger logger, string problem);
}
