using Marten.Schema;

namespace Pipeline.Uploader.Registry;

/// <summary>
/// The last version handed out in one project. Stored with optimistic concurrency in the same transaction as the
/// new <see cref="Contracts.ModelVersion"/>: two registrations that read the same number cannot both commit.
/// </summary>
public sealed class ProjectModelCounter
{
    /// <summary><c>{organization}/{project}</c>.</summary>
    public required string Id { get; set; }

    public int LastVersion { get; set; }

    [Version]
    public Guid Version { get; set; }

    public static string IdFor(string organization, string project) => $"{organization}/{project}";
}
