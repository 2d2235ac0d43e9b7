using Microsoft.Extensions.Options;
using Pipeline.Contracts;
using Pipeline.Artifacts;
using System.Collections.Concurrent;
using Pipeline.Datasets;
using Pipeline.Datasets.Images;

namespace Pipeline.Downloader.Datasets;

/// <summary>
/// Fetches a training's dataset (and its test dataset, when one is named) into the artifact store: the normalized
/// manifest at <see cref="ArtifactKeys.DatasetManifest"/>, the images that decode beside it, and the detection list.
/// The attempt's dataset folder is written once (<see cref="WriteOnceFolders"/>): a second delivery of the attempt answers
/// with the first one's dataset and never deletes or rewrites a file of it, which the Trainer may be reading.
/// </summary>
public sealed class DatasetImporter(
    IArtifactStore store, DatasetSource source, IOptions<DownloaderSettings> options, ILogger<DatasetImporter> logger)
{
    private readonly DownloaderSettings settings = options.Value;

    public async Task<DownloadedDataset> ImportAsync(DownloadTrainingData command, CancellationToken cancellationToken)
    {
        if (await store.ReadOutcomeAsync<DownloadedDataset>(ArtifactKeys.Dataset(command.TrainingId, command.Attempt), cancellationToken) is { } done)
        {
            logger.LogInformation("The dataset of {TrainingId} attempt {Attempt} is downloaded already: answering with it", command.TrainingId, command.Attempt);
            return done;
        }

        var work = Path.Combine(
            string.IsNullOrWhiteSpace(settings.WorkFolder) ? Path.Combine(Path.GetTempPath(), "pipeline-downloader") : settings.WorkFolder,
            $"{command.TrainingId:N}-{Guid.NewGuid():N}");
        try
        {
            var (manifest, trainPart) = await FetchPartAsync(
                command.DatasetUri, command.DatasetSha256, command.DatasetFormat, Path.Combine(work, "train"), "", command.ImagesFolder, cancellationToken);
            var parts = manifest.Images.Select(_ => trainPart).ToList();
            if (command.TestDatasetUri is { } testUri)
            {
                // A test dataset is the test split, its files kept apart from the train dataset's (their names may repeat).
                var (test, testPart) = await FetchPartAsync(
                    testUri, command.TestDatasetSha256, command.DatasetFormat, Path.Combine(work, "test"), TestFolder, null, cancellationToken);
                manifest = DatasetDocument.WithTestSet(manifest, test);
                parts = [.. parts, .. test.Images.Select(_ => testPart)];
            }

            var categories = SelectCategories(manifest, command.Categories);
            var inbox = await ReadInboxAsync(command, manifest.Categories, cancellationToken);
            if (inbox is not null)
            {
                manifest = manifest with { Images = [.. manifest.Images, .. inbox.Images] };
                var inboxPart = new DatasetPart(inbox.Folder, [LocalFiles.RealPath(inbox.Folder) ?? inbox.Folder], ProjectInbox.StoredUnder);
                parts = [.. parts, .. inbox.Images.Select(_ => inboxPart)];
            }

            return await StoreAsync(command, manifest, categories, parts, inbox, cancellationToken);
        }
        finally
        {
            if (Directory.Exists(work))
            {
                Directory.Delete(work, recursive: true);
            }
        }
    }

    /// <summary>The project's complete inbox items, when the training asks for them; null when it does not.</summary>
    private async Task<ProjectInbox.Items?> ReadInboxAsync(DownloadTrainingData command, IReadOnlyList<Category> categories, CancellationToken cancellationToken)
    {
        if (!command.IncludeInbox)
        {
            return null;
        }

        if (string.IsNullOrWhiteSpace(command.Organization) || string.IsNullOrWhiteSpace(command.Project))
        {
            throw new StageInputException("IncludeInbox needs the training's organization and project, whose inbox it reads.");
        }

        var inbox = await ProjectInbox.ReadAsync(store, command.Organization, command.Project, categories, cancellationToken);
        foreach (var reason in inbox.Skipped)
        {
            logger.LogWarning("Skipping an inbox item of {Organization}/{Project} for {TrainingId}: {Reason}",
                command.Organization, command.Project, command.TrainingId, reason);
        }

        logger.LogInformation("The inbox of {Organization}/{Project} adds {Count} train images to {TrainingId} ({Skipped} items skipped)",
            command.Organization, command.Project, inbox.Images.Count, command.TrainingId, inbox.Skipped.Count);
        return inbox;
    }

    /// <summary>Where a test dataset's images are stored in the training's dataset folder.</summary>
    public const string TestFolder = "test-dataset/";

    /// <summary>One dataset read: its manifest, and where its images are read from and stored to.</summary>
    private async Task<(DatasetManifest Manifest, DatasetPart Part)> FetchPartAsync(
        string uri, string? sha256, DatasetFormat format, string work, string storedUnder, string? imagesFolder, CancellationToken cancellationToken)
    {
        var fetched = await source.FetchAsync(uri, sha256, work, cancellationToken);
        var (located, roots) = await LocateDocumentAsync(fetched, format, work, cancellationToken);
        var documents = located with { ImagesFolder = imagesFolder };
        DatasetLimits.CheckFiles(documents, settings);
        var manifest = await DatasetDocument.ReadAsync(documents, format, path => MayRead(path, roots), cancellationToken);
        DatasetLimits.CheckCounts(manifest, settings);
        return (manifest, new DatasetPart(documents.Folder, roots, storedUnder));
    }

    /// <summary>Whether a converter may open a file the annotations lead to: a regular file, really under the dataset's folders.</summary>
    private static bool MayRead(string path, IReadOnlyList<string> roots) =>
        LocalFiles.RealPath(path) is { } real && roots.Any(root => LocalFiles.IsUnder(real, root)) && LocalFiles.KindOf(real) == LocalFiles.RegularFile;

    /// <summary>A dataset's folder, the real folders its images must lie under, and the folder they are stored under.</summary>
    private sealed record DatasetPart(string Folder, IReadOnlyList<string> Roots, string StoredUnder);

    /// <returns>The manifest or COCO file, and the real folders its images must lie under (an archive's: where it was extracted).</returns>
    private async Task<(DatasetDocuments Documents, IReadOnlyList<string> Roots)> LocateDocumentAsync(
        FetchedDataset fetched, DatasetFormat format, string work, CancellationToken cancellationToken)
    {
        if (Directory.Exists(fetched.Path))
        {
            return (DatasetDocument.Locate(fetched.Path, format), fetched.Roots);
        }

        var kind = ArchiveExtractor.Sniff(fetched.Path);
        if (kind == DatasetFileKind.Json)
        {
            return (DatasetDocument.Single(fetched.Path, format), fetched.Roots);
        }

        var extracted = Path.Combine(work, "extracted");
        await ArchiveExtractor.ExtractAsync(fetched.Path, kind, extracted, settings, cancellationToken);
        return (DatasetDocument.Locate(extracted, format), [LocalFiles.RealPath(extracted) ?? extracted]);
    }

    private static IReadOnlyList<Category> SelectCategories(DatasetManifest manifest, IReadOnlyList<Category> requested)
    {
        var duplicate = manifest.Categories.GroupBy(category => category.Id).FirstOrDefault(group => group.Count() > 1);
        if (duplicate is not null)
        {
            throw new StageInputException($"Dataset declares category id '{duplicate.Key}' more than once.");
        }

        if (requested.Count == 0)
        {
            return manifest.Categories;
        }

        var known = manifest.Categories.Select(category => category.Id).ToHashSet();
        var missing = requested.Where(category => !known.Contains(category.Id)).ToList();
        if (missing.Count > 0)
        {
            throw new StageInputException(
                $"The training asks for categories the dataset does not have: {string.Join(", ", missing.Select(c => $"'{c.Id}' ({c.Name})"))}.");
        }

        return requested;
    }

    private async Task<DownloadedDataset> StoreAsync(
        DownloadTrainingData command, DatasetManifest manifest, IReadOnlyList<Category> categories, IReadOnlyList<DatasetPart> parts,
        ProjectInbox.Items? inbox, CancellationToken cancellationToken)
    {
        var declared = manifest.Categories.Select(category => category.Id).ToHashSet();
        var wanted = categories.Select(category => category.Id).ToHashSet();
        var images = manifest.Images.Select(image => Normalize(image, declared, wanted)).ToList();
        var duplicate = images.GroupBy(image => image.Id).FirstOrDefault(group => group.Count() > 1);
        if (duplicate is not null)
        {
            throw new StageInputException($"Dataset holds image id '{duplicate.Key}' more than once.");
        }

        var folder = ArtifactKeys.Dataset(command.TrainingId, command.Attempt);
        var staging = ArtifactKeys.Staging(folder);
        try
        {
            var stored = await StoreImagesAsync(command, images, categories, parts, staging, inbox, cancellationToken);
            return await store.CompleteAsync(staging, folder, stored, cancellationToken);
        }
        catch
        {
            store.Delete(staging);
            throw;
        }
    }

    /// <summary>Writes the images, the manifest and the detection list into <paramref name="datasetKey"/> (the staging folder).</summary>
    private async Task<DownloadedDataset> StoreImagesAsync(
        DownloadTrainingData command, List<ManifestImage> images, IReadOnlyList<Category> categories, IReadOnlyList<DatasetPart> parts, string datasetKey,
        ProjectInbox.Items? inbox, CancellationToken cancellationToken)
    {
        var budget = new ByteBudget(settings.MaxDatasetBytes, () => new StageInputException(
            $"Dataset images add up to more than Downloader:MaxDatasetBytes ({settings.MaxDatasetBytes} bytes)."));
        var kept = new ManifestImage?[images.Count];
        var skips = new ConcurrentQueue<Skip>();
        var done = 0;
        var parallel = new ParallelOptions
        {
            CancellationToken = cancellationToken,
            MaxDegreeOfParallelism = settings.MaxParallelImages > 0 ? settings.MaxParallelImages : Environment.ProcessorCount,
        };
        await Parallel.ForEachAsync(Enumerable.Range(0, images.Count), parallel, async (index, token) =>
        {
            kept[index] = await StoreImageAsync(images[index], parts[index], datasetKey, budget, skips, token);
            var count = Interlocked.Increment(ref done);
            if (count % Math.Max(1, settings.ProgressEvery) == 0 || count == images.Count)
            {
                logger.LogInformation("Checked {Done}/{Total} images of {TrainingId}", count, images.Count, command.TrainingId);
            }
        });

        var inboxIds = (inbox?.Images ?? []).Select(image => image.Id).ToHashSet();
        var (stored, heldOut) = HoldOut(kept.OfType<ManifestImage>().ToList(), inboxIds);
        var skipped = images.Count - stored.Count;
        var train = stored.Count(image => image.Split == "train");
        var byReason = skips.GroupBy(skip => skip.Reason).OrderBy(group => group.Key).ToDictionary(group => group.Key, group => group.Count());
        if (stored.Count == 0 || train == 0)
        {
            throw new StageInputException(stored.Count == 0
                ? $"Dataset has no images that decode ({images.Count} listed{Why(skips)})."
                : $"Dataset has no train images ({stored.Count} test images, {skipped} skipped{Why(skips)}).");
        }

        var detectOn = command.DetectOn switch
        {
            DetectionScope.AllImages => stored,
            DetectionScope.TestImages => stored.Where(image => image.Split == "test").ToList(),
            DetectionScope.TrainImages => stored.Where(image => image.Split == "train").ToList(),
            _ => [],
        };
        await store.WriteJsonAsync(ArtifactKeys.DatasetManifestIn(datasetKey),
            new DatasetManifest { Categories = categories, Images = stored }, cancellationToken);
        await store.WriteJsonAsync(ArtifactKeys.DetectionListIn(datasetKey), detectOn.Select(image => image.Id).ToList(), cancellationToken);
        logger.LogInformation("Dataset of {TrainingId}: {Train} train, {Test} test, {Skipped} skipped{SkipReasons}, {Detect} to detect on",
            command.TrainingId, train, stored.Count - train, skipped, Why(skips, " ("), detectOn.Count);
        return new DownloadedDataset(ArtifactKeys.DatasetManifest(command.TrainingId, command.Attempt), ArtifactKeys.DetectionList(command.TrainingId, command.Attempt),
            categories, train, stored.Count - train, detectOn.Count, skipped, heldOut,
            stored.Count(image => inboxIds.Contains(image.Id)), inbox?.Skipped.Count ?? 0, byReason);
    }

    /// <summary>A listed image left out, why, and what the decoder said when that is the reason.</summary>
    private sealed record Skip(ImageSkipReason Reason, string File, string? Detail = null);

    /// <summary>": 2 missing, e.g. train2017/1.jpg; 1 unreadable, e.g. b.png is truncated ..." (or with an opening bracket, closed).</summary>
    private static string Why(IReadOnlyCollection<Skip> skips, string opening = ": ")
    {
        if (skips.Count == 0)
        {
            return "";
        }

        var reasons = skips.GroupBy(skip => skip.Reason).OrderBy(group => group.Key).Select(group =>
        {
            // The first by name, not by arrival: images are checked in parallel, and the message should not vary.
            var example = group.MinBy(skip => skip.File, StringComparer.Ordinal)!;
            return $"{group.Count()} {group.Key.Describe()}, e.g. {example.File}{(example.Detail is null ? "" : " " + example.Detail)}";
        });
        return opening + string.Join("; ", reasons) + (opening == " (" ? ")" : "");
    }

    /// <summary>
    /// A dataset with train images only gets a seeded share of them as its test split (at least one, never all). Inbox
    /// images are never held out: their labels are a model's guesses, which a test split must not be scored against.
    /// </summary>
    private (List<ManifestImage> Images, int HeldOut) HoldOut(List<ManifestImage> images, IReadOnlySet<string> inboxIds)
    {
        var candidates = images.Where(image => !inboxIds.Contains(image.Id)).ToList();
        if (settings.HeldOutShare <= 0 || candidates.Count < 2 || images.Any(image => image.Split == "test"))
        {
            return (images, 0);
        }

        var count = Math.Clamp((int)Math.Round(candidates.Count * settings.HeldOutShare), 1, candidates.Count - 1);
        // Ordered by id first: which images are held out depends on the dataset and the seed, not on listing order.
        var chosen = candidates.Select(image => image.Id).Order(StringComparer.Ordinal).ToArray();
        new Random(settings.HeldOutSeed).Shuffle(chosen);
        var test = chosen.Take(count).ToHashSet();
        logger.LogInformation("The dataset has no test images: {Count} of {Total} train images held out for evaluation (Downloader:HeldOutShare {Share})",
            count, candidates.Count, settings.HeldOutShare);
        return ([.. images.Select(image => test.Contains(image.Id) ? image with { Split = "test" } : image)], count);
    }

    private static ManifestImage Normalize(ManifestImage image, HashSet<string> declared, HashSet<string> wanted)
    {
        if (string.IsNullOrWhiteSpace(image.Id) || string.IsNullOrWhiteSpace(image.File))
        {
            throw new StageInputException($"Dataset image '{image.Id}' lacks an id or a file.");
        }

        // A path that climbs out is not refused here: it is counted, with the other images left out, as outside the root.
        var file = image.File.Replace('\\', '/');
        var split = image.Split?.Trim().ToLowerInvariant() switch
        {
            null or "" or "train" => "train",
            "test" or "val" or "validation" => "test",
            var other => throw new StageInputException($"Dataset image '{image.Id}' has split '{other}'; use train or test."),
        };
        var undeclared = image.Annotations.FirstOrDefault(annotation => !declared.Contains(annotation.CategoryId));
        if (undeclared is not null)
        {
            throw new StageInputException($"Dataset image '{image.Id}' has an annotation of category '{undeclared.CategoryId}', which the dataset does not declare.");
        }

        return image with
        {
            File = file,
            Split = split,
            Annotations = image.Annotations.Where(annotation => wanted.Contains(annotation.CategoryId)).ToList(),
        };
    }

    /// <returns>The image with its true size, or null when it is left out (counted in <paramref name="skips"/> with its reason).</returns>
    private async Task<ManifestImage?> StoreImageAsync(
        ManifestImage image, DatasetPart part, string datasetKey, ByteBudget budget, ConcurrentQueue<Skip> skips, CancellationToken cancellationToken)
    {
        var roots = part.Roots;
        if (!DatasetLayout.IsPlainPath(image.File))
        {
            logger.LogWarning("Skipping image {ImageId}: {File} is outside the dataset's root", image.Id, image.File);
            skips.Enqueue(new Skip(ImageSkipReason.OutsideRoot, image.File));
            return null;
        }

        var path = LocalFiles.RealPath(Path.Combine(part.Folder, image.File));
        if (path is null || !File.Exists(path))
        {
            logger.LogWarning("Skipping image {ImageId}: file {File} is missing", image.Id, image.File);
            skips.Enqueue(new Skip(ImageSkipReason.Missing, image.File));
            return null;
        }

        // A link (the image's, or a parent folder's) may lead anywhere; a device or FIFO has no end to read to.
        if (!roots.Any(root => LocalFiles.IsUnder(path, root)))
        {
            throw new StageInputException(
                $"Dataset image '{image.Id}' ({image.File}) is really '{path}', outside the dataset's folders ({string.Join(", ", roots)}).");
        }

        if (LocalFiles.KindOf(path) is var kind and not LocalFiles.RegularFile)
        {
            throw new StageInputException($"Dataset image '{image.Id}' ({image.File}) is a {kind}, not a regular file.");
        }

        budget.Take(new FileInfo(path).Length);
        // Streamed into the store, hashed on the way; then checked there: no image is held whole in memory.
        var stored = part.StoredUnder + image.File;
        var key = $"{datasetKey}/{stored}";
        StoredArtifact written;
        await using (var content = File.OpenRead(path))
        {
            written = await store.WriteAsync(key, content, cancellationToken);
        }

        if (!string.IsNullOrWhiteSpace(image.Sha256) && !string.Equals(written.Sha256, image.Sha256.Trim(), StringComparison.OrdinalIgnoreCase))
        {
            store.Delete(key);
            throw new StageInputException($"Dataset image '{image.Id}' ({image.File}) has sha256 {written.Sha256}, but the manifest says {image.Sha256}.");
        }

        (int Width, int Height) size;
        try
        {
            // A full decode, not just the header: a truncated file would pass the header and fail the trainer later.
            using var decoded = BoundedImageDecoder.Decode(store.GetLocalPath(key));
            size = (decoded.Width, decoded.Height);
        }
        catch (InvalidDataException e)
        {
            store.Delete(key);
            logger.LogWarning("Skipping image {ImageId}: {File} {Reason}", image.Id, image.File, e.Message);
            skips.Enqueue(new Skip(e.InnerException is ImageTooLargeException ? ImageSkipReason.TooLarge : ImageSkipReason.Unreadable, image.File, e.Message));
            return null;
        }

        if (image.Width > 0 && image.Height > 0 && (image.Width != size.Width || image.Height != size.Height))
        {
            logger.LogWarning("Image {ImageId} is {Width}x{Height}, the dataset says {DeclaredWidth}x{DeclaredHeight}; keeping the decoded size",
                image.Id, size.Width, size.Height, image.Width, image.Height);
        }

        return image with { File = stored, Width = size.Width, Height = size.Height };
    }
}
