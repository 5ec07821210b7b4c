using Overlay.Deploy.Tests.Support;

namespace Overlay.Deploy.Tests.Container;

public class DockerfileParserTests
{
    [Fact]
    public void Comments_and_blank_lines_are_skipped_and_continuations_joined()
    {
        const string text = "# a comment\n\nFROM base AS build\nRUN dotnet publish \\\n    src/App \\\n    -o /out\n";
        IReadOnlyList<DockerInstruction> instructions = DockerfileParser.Parse(text);

        Assert.Equal(["FROM", "RUN"], instructions.Select(i => i.Keyword));
        Assert.Equal(["base", "AS", "build"], instructions[0].Arguments);
        Assert.Equal(["dotnet", "publish", "src/App", "-o", "/out"], instructions[1].Arguments);
        Assert.Equal(4, instructions[1].Line);
        Assert.False(instructions[1].IsExecForm);
    }

    [Fact]
    public void Json_arrays_are_exec_form_and_keywords_are_case_insensitive()
    {
        IReadOnlyList<DockerInstruction> instructions = DockerfileParser.Parse("entrypoint [\"/app/x\", \"-v=1\"]\nCMD [not json\n");

        Assert.Equal("ENTRYPOINT", instructions[0].Keyword);
        Assert.True(instructions[0].IsExecForm);
        Assert.Equal(["/app/x", "-v=1"], instructions[0].Arguments);
        Assert.False(instructions[1].IsExecForm);
        Assert.Equal(["[not", "json"], instructions[1].Arguments);
    }
}
