using System.Globalization;
using Pipeline.Contracts;

namespace Pipeline.Uploader.Registry;

/// <summary>
/// Whether a newly registered model becomes its project's current one (as OTX marks a training that did not improve on
/// its model, and MLflow's alias names the champion): only when it beats the current model on the new training's test
/// split, where the Trainer evaluated both. A comparison made against a model that is no longer current does not count:
/// the champion changed while the challenger trained, and it was never measured against the new one.
/// </summary>
public static class PromotionRules
{
    public static PromotionDecision Decide(UploadModel command, ModelVersion? current, DateTimeOffset now)
    {
        var mine = command.Metrics.MeanAveragePrecision;
        if (current is null)
        {
            return new PromotionDecision
            {
                Promoted = true, DecidedAt = now,
                Reason = $"the first model of {command.Organization}/{command.Project} (mAP@0.5 {Format(mine)})",
            };
        }

        var decision = new PromotionDecision
        {
            Promoted = false, DecidedAt = now, ComparedWithModelId = current.Id, ComparedWithVersion = current.Version, Reason = "",
        };
        var evaluation = command.CurrentModel;
        if (evaluation is null || evaluation.ModelId != current.Id)
        {
            var compared = evaluation is null ? "the project had no current model when it started training" : $"it was compared with version {evaluation.Version}";
            return decision with
            {
                Reason = $"not compared with version {current.Version}, which became current while it trained ({compared}); 'pipeline promote' overrides",
            };
        }

        if (evaluation.MeanAveragePrecision is not { } theirs)
        {
            return decision with
            {
                Reason = $"version {current.Version} could not be evaluated on this training's test split ({evaluation.NotComparable}); 'pipeline promote' overrides",
            };
        }

        return mine > theirs
            ? decision with
            {
                Promoted = true, ComparedMeanAveragePrecision = theirs,
                Reason = $"mAP@0.5 {Format(mine)} beats version {current.Version}'s {Format(theirs)} on this training's test split",
            }
            : decision with
            {
                ComparedMeanAveragePrecision = theirs,
                Reason = $"mAP@0.5 {Format(mine)} does not beat version {current.Version}'s {Format(theirs)} on this training's test split",
            };
    }

    private static string Format(double value) => value.ToString("0.000", CultureInfo.InvariantCulture);
}
