using Pipeline.Contracts;

namespace Pipeline.DetectorNode.Models;

/// <summary>
/// A registered model the node may serve: from the status API at start, or from a <see cref="ModelPromoted"/>.
/// <paramref name="PromotedAt"/> orders promotions: a rollback promotes an older version later.
/// <paramref name="DescriptionSha256"/> is the registry's record of its model.json, which the node checks what it loads against.
/// </summary>
public sealed record ModelOffer(Guid Id, string Organization, string Project, int Version, string ModelKey, DateTimeOffset? PromotedAt, string? DescriptionSha256)
{
    public static ModelOffer From(ModelVersion model) =>
        new(model.Id, model.Organization, model.Project, model.Version, model.ModelKey,
            model.Promotion is { Promoted: true } promotion ? promotion.DecidedAt : null, model.DescriptionSha256);

    public static ModelOffer From(ModelPromoted promoted) =>
        new(promoted.ModelId, promoted.Organization, promoted.Project, promoted.Version, promoted.ModelKey, promoted.PromotedAt, promoted.DescriptionSha256);
}
