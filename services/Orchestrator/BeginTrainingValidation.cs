using Pipeline.Contracts;

namespace Pipeline.Orchestrator;

/// <summary>
/// What makes a BeginTraining one that cannot begin, named by the field as a client writes it: checked by the saga (the
/// training fails at Initialized with the reason) and by <c>POST /trainings</c> (400 with the reason).
/// </summary>
public static class BeginTrainingValidation
{
    public static string? Problem(BeginTraining command)
    {
        if (command.TrainingId == Guid.Empty)
        {
            return "trainingId is required (a GUID).";
        }

        if (string.IsNullOrWhiteSpace(command.Organization))
        {
            return "organization is required.";
        }

        if (!ProjectNames.IsValid(command.Organization))
        {
            return $"organization '{Shown(command.Organization)}' is not a name: {ProjectNames.Rule}.";
        }

        if (string.IsNullOrWhiteSpace(command.Project))
        {
            return "project is required.";
        }

        if (!ProjectNames.IsValid(command.Project))
        {
            return $"project '{Shown(command.Project)}' is not a name: {ProjectNames.Rule}.";
        }

        if (string.IsNullOrWhiteSpace(command.DatasetUri))
        {
            return "datasetUri is required: a file://, http:// or https:// URI of a manifest, a COCO JSON, a folder or an archive.";
        }

        if (!Uri.TryCreate(command.DatasetUri, UriKind.Absolute, out _))
        {
            return $"datasetUri '{command.DatasetUri}' is not an absolute URI (file://, http:// or https://).";
        }

        if (command.TestDatasetUri is { } testUri && !Uri.TryCreate(testUri, UriKind.Absolute, out _))
        {
            return $"testDatasetUri '{testUri}' is not an absolute URI (file://, http:// or https://); leave it out to test on the dataset's own split.";
        }

        if (!Enum.IsDefined(command.DatasetFormat))
        {
            return $"datasetFormat {(int)command.DatasetFormat} is not one of {string.Join(", ", Enum.GetNames<DatasetFormat>())}.";
        }

        if (!Enum.IsDefined(command.DetectOn))
        {
            return $"detectOn {(int)command.DetectOn} is not one of {string.Join(", ", Enum.GetNames<DetectionScope>())}.";
        }

        if (command.Hyperparameters is null)
        {
            return "hyperparameters may be left out, not null.";
        }

        if (HyperparameterRanges.FirstBroken(command.Hyperparameters) is { } broken)
        {
            return $"{broken.Field} must be {broken.Expected}, was {broken.Value(command.Hyperparameters)}.";
        }

        if (command.Categories is null || command.Categories.Any(category => category is null || string.IsNullOrWhiteSpace(category.Id)))
        {
            return "categories must be a list of categories, each with an id (or left out for the dataset's own).";
        }

        return null;
    }

    /// <summary>The field a problem names: each message begins with it, as a client writes it.</summary>
    public static string FieldOf(string problem) => problem[..problem.IndexOfAny([' ', ':'])];

    // A refused name is shown, but never whole: the message goes into logs and the training's errors.
    private static string Shown(string name) => name.Length <= 80 ? name : name[..80] + "…";
}
