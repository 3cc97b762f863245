using AiGuard.Audit;
using AiGuard.Configuration;

namespace AiGuard.Tests.Audit;

/// <summary>At start, the audit file must be writable, or the start says so.</summary>
public class AuditDestinationsTests
{
    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData("   ")]
    public void Without_an_audit_file_there_is_nothing_to_check(string? path)
    {
        Assert.True(AuditDestinations.CheckFile(new AuditOptions { FilePath = path }, out var problem));
        Assert.Null(problem);
    }

    [Fact]
    public void A_missing_audit_directory_is_created_and_left_clean()
    {
        var root = Path.Combine(Path.GetTempPath(), $"aiguard-audit-{Guid.NewGuid():N}");
        try
        {
            var directory = Path.Combine(root, "nested");

            Assert.True(AuditDestinations.CheckFile(new AuditOptions { FilePath = Path.Combine(directory, "audit.log") }, out var problem));

            Assert.Null(problem);
            Assert.True(Directory.Exists(directory));
            Assert.Empty(Directory.EnumerateFileSystemEntries(directory));
        }
        finally
        {
            Directory.Delete(root, recursive: true);
        }
    }

    [Fact]
    public void A_directory_that_takes_no_new_file_stops_the_start()
    {
        // /proc exists but no one, not even root, can create a file in it.
        var error = Assert.Throws<GatewayConfigurationException>(() => AuditDestinations.CheckFile(new AuditOptions { FilePath = "/proc/audit.log" }, out _));

        Assert.Contains("AiGuard:Audit:FilePath '/proc/audit.log' cannot be written", error.Message, StringComparison.Ordinal);
    }
}
