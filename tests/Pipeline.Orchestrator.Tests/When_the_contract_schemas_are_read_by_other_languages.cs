using Pipeline.Contracts;

namespace Pipeline.Orchestrator.Tests;

/// <summary>contracts/schema/ holds the JSON Schemas clients in other languages use; they must be what the records are.</summary>
public sealed class When_the_contract_schemas_are_read_by_other_languages
{
    public static TheoryData<string> Names => [.. ContractJson.SchemaTypes.Keys];

    [Theory]
    [MemberData(nameof(Names))]
    public void In_the_repository_match_the_records(string name)
    {
        var path = Path.Combine(RepositoryRoot(), "contracts", "schema", $"{name}.json");
        var generated = ContractJson.Schema(ContractJson.SchemaTypes[name]);
        if (Environment.GetEnvironmentVariable("PIPELINE_WRITE_SCHEMAS") == "1")
        {
            Directory.CreateDirectory(Path.GetDirectoryName(path)!);
            File.WriteAllText(path, generated);
        }

        Assert.True(File.Exists(path), $"{path} is missing: run the tests with PIPELINE_WRITE_SCHEMAS=1 to write it.");
        Assert.True(File.ReadAllText(path) == generated,
            $"{path} differs from the {name} record: run the tests with PIPELINE_WRITE_SCHEMAS=1 to rewrite it, and review the diff.");
    }

    [Fact]
    public void BeginTraining_requires_the_id_organization_project_and_dataset_uri_and_names_its_enums()
    {
        var schema = System.Text.Json.Nodes.JsonNode.Parse(ContractJson.Schema(typeof(BeginTraining)))!;

        Assert.Equal(["trainingId", "organization", "project", "datasetUri"], schema["required"]!.AsArray().Select(n => n!.GetValue<string>()));
        Assert.Equal(["Manifest", "Coco", "Yolo", "PascalVoc", "LabelStudio"], schema["properties"]!["datasetFormat"]!["enum"]!.AsArray().Select(n => n!.GetValue<string>()));
    }

    private static string RepositoryRoot()
    {
        for (var folder = new DirectoryInfo(AppContext.BaseDirectory); folder is not null; folder = folder.Parent)
        {
            if (File.Exists(Path.Combine(folder.FullName, "Pipeline.sln")))
            {
                return folder.FullName;
            }
        }

        throw new InvalidOperationException($"No Pipeline.sln above {AppContext.BaseDirectory}.");
    }
}
