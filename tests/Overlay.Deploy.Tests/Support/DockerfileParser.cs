using System.Diagnostics.CodeAnalysis;
using System.Text;
using System.Text.Json;

namespace Overlay.Deploy.Tests.Support;

/// <summary>
/// Reads a Dockerfile as BuildKit's front end does for the parts these tests check: comment lines dropped,
/// backslash continuations joined, arguments as a JSON array (exec form) or whitespace-separated words (shell form).
/// Heredocs and escape-directive changes are not supported; the files under test use neither.
/// </summary>
internal static class DockerfileParser
{
    public static IReadOnlyList<DockerInstruction> Parse(string text)
    {
        var instructions = new List<DockerInstruction>();
        var pending = new StringBuilder();
        int startLine = 0;
        string[] lines = text.Split('\n');
        for (int i = 0; i < lines.Length; i++)
        {
            string line = lines[i].TrimEnd('\r', ' ', '\t');
            string trimmed = line.TrimStart();
            if (trimmed.StartsWith('#') || (trimmed.Length == 0 && pending.Length == 0))
            {
                continue;
            }
            if (pending.Length == 0)
            {
                startLine = i + 1;
            }
            bool continues = line.EndsWith('\\');
            pending.Append(continues ? line[..^1] : line).Append(' ');
            if (!continues)
            {
                instructions.Add(ToInstruction(pending.ToString().Trim(), startLine));
                pending.Clear();
            }
        }
        if (pending.Length > 0)
        {
            instructions.Add(ToInstruction(pending.ToString().Trim(), startLine));
        }
        return instructions;
    }

    private static DockerInstruction ToInstruction(string text, int line)
    {
        int space = text.IndexOfAny([' ', '\t']);
        string keyword = (space < 0 ? text : text[..space]).ToUpperInvariant();
        string rest = space < 0 ? "" : text[space..].Trim();
        if (rest.StartsWith('[') && TryReadExecForm(rest, out string[]? words))
        {
            return new DockerInstruction(keyword, words, IsExecForm: true, line);
        }
        return new DockerInstruction(keyword, rest.Split([' ', '\t'], StringSplitOptions.RemoveEmptyEntries), IsExecForm: false, line);
    }

    private static bool TryReadExecForm(string text, [NotNullWhen(true)] out string[]? words)
    {
        try
        {
            words = JsonSerializer.Deserialize<string[]>(text);
            return words is not null;
        }
        catch (JsonException)
        {
            // Not a JSON array: Docker then treats the text as shell form, and so do we.
            words = null;
            return false;
        }
    }
}
