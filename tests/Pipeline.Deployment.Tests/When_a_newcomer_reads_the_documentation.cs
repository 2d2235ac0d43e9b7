using System.Text;
using System.Text.RegularExpressions;

namespace Pipeline.Deployment.Tests;

/// <summary>
/// The pages a newcomer reads link only to what the repository holds: every relative link and image resolves to a file
/// or folder inside the checkout, and a link to a heading (<c>page.md#heading</c>) finds that heading. A page moved or a
/// heading renamed without its links fails here instead of in a reader's browser.
/// </summary>
public sealed partial class When_a_newcomer_reads_the_documentation
{
    private static readonly string Root = Path.GetFullPath(ComposeFile.RepositoryRoot());

    public static TheoryData<string> Pages
    {
        get
        {
            var pages = new TheoryData<string>();
            foreach (var page in new[] { "README.md", "ARCHITECTURE.md", "bench/README.md" }
                         .Concat(Directory.GetFiles(Path.Combine(Root, "docs"), "*.md").Select(file => Path.GetRelativePath(Root, file)))
                         .Order(StringComparer.Ordinal))
            {
                pages.Add(page.Replace('\\', '/'));
            }

            return pages;
        }
    }

    [Theory]
    [MemberData(nameof(Pages))]
    public void Every_relative_link_resolves_inside_the_repository(string page)
    {
        var broken = new List<string>();
        var file = Path.Combine(Root, page);
        foreach (var target in Links(File.ReadAllText(file)))
        {
            if (target.StartsWith('#'))
            {
                if (!Anchors(file).Contains(target[1..]))
                {
                    broken.Add($"{target}: no such heading in {page}");
                }

                continue;
            }

            var hash = target.IndexOf('#');
            var path = Uri.UnescapeDataString(hash < 0 ? target : target[..hash]);
            var resolved = Path.GetFullPath(Path.Combine(Path.GetDirectoryName(file)!, path));
            if (!resolved.StartsWith(Root + Path.DirectorySeparatorChar, StringComparison.Ordinal))
            {
                broken.Add($"{target}: outside the repository");
            }
            else if (!File.Exists(resolved) && !Directory.Exists(resolved))
            {
                broken.Add($"{target}: {Path.GetRelativePath(Root, resolved)} does not exist");
            }
            else if (hash >= 0 && File.Exists(resolved) && !Anchors(resolved).Contains(target[(hash + 1)..]))
            {
                broken.Add($"{target}: no such heading in {Path.GetRelativePath(Root, resolved)}");
            }
        }

        Assert.True(broken.Count == 0, $"{page} has broken links:\n{string.Join("\n", broken)}");
    }

    [Fact]
    public void The_README_is_short_enough_to_read_to_the_end() =>
        Assert.InRange(File.ReadAllLines(Path.Combine(Root, "README.md")).Length, 1, 150);

    [Fact]
    public void The_link_reader_finds_links_and_anchors_as_GitHub_does()
    {
        // Guards the reading itself: a link it missed would be checked against nothing.
        const string page = "# Local servers\n## Accounts: each service may do its own work\n[a](docs/x.md#y) ![b](c.png) `[not](a link)`\n```\n[nor](this)\n```\n";

        Assert.Equal(["docs/x.md#y", "c.png"], Links(page));
        Assert.Equal(["local-servers", "accounts-each-service-may-do-its-own-work"], AnchorsOf(page));
    }

    /// <summary>Link and image targets outside code, except absolute URLs (http, https, mailto).</summary>
    private static List<string> Links(string markdown) =>
        LinkPattern().Matches(WithoutCode(markdown))
            .Select(match => match.Groups["target"].Value)
            .Where(target => !AbsoluteUri().IsMatch(target))
            .ToList();

    private static HashSet<string> Anchors(string file) => AnchorsOf(File.ReadAllText(file)).ToHashSet();

    /// <summary>GitHub's heading ids: lower case, punctuation dropped, spaces as hyphens, a repeat numbered.</summary>
    private static List<string> AnchorsOf(string markdown)
    {
        var seen = new Dictionary<string, int>();
        var anchors = new List<string>();
        foreach (Match heading in HeadingPattern().Matches(WithoutFences(markdown)))
        {
            var slug = new StringBuilder();
            foreach (var c in heading.Groups["text"].Value.Trim().ToLowerInvariant())
            {
                if (char.IsLetterOrDigit(c) || c is '-' or '_')
                {
                    slug.Append(c);
                }
                else if (c == ' ')
                {
                    slug.Append('-');
                }
            }

            var id = slug.ToString();
            var count = seen.GetValueOrDefault(id);
            seen[id] = count + 1;
            anchors.Add(count == 0 ? id : $"{id}-{count}");
        }

        return anchors;
    }

    private static string WithoutCode(string markdown) => InlineCode().Replace(WithoutFences(markdown), "");

    private static string WithoutFences(string markdown) => FencedCode().Replace(markdown, "");

    [GeneratedRegex(@"!?\[[^\]]*\]\((?<target>[^)\s]+)(\s+""[^""]*"")?\)")]
    private static partial Regex LinkPattern();

    [GeneratedRegex(@"^[a-z][a-z0-9+.-]*:", RegexOptions.IgnoreCase)]
    private static partial Regex AbsoluteUri();

    [GeneratedRegex(@"^#{1,6}\s+(?<text>.+?)\s*#*\s*$", RegexOptions.Multiline)]
    private static partial Regex HeadingPattern();

    [GeneratedRegex(@"^(```|~~~).*?^\1[^\n]*$", RegexOptions.Multiline | RegexOptions.Singleline)]
    private static partial Regex FencedCode();

    [GeneratedRegex(@"`[^`\n]*`")]
    private static partial Regex InlineCode();
}
