import Foundation
import Testing
import NSTTestSupport

/// `nst-exp help <command>` as a user reads it.
@Suite struct HelpTextTests {
    /// The subcommands `nst-exp --help` lists.
    static func subcommands(_ exe: URL) throws -> [String] {
        let top = try ChildProcess.run(exe, ["--help"])
        let lines = top.output.split(separator: "\n")
        guard let start = lines.firstIndex(where: { $0.hasPrefix("SUBCOMMANDS") }) else { return [] }
        // A subcommand's line starts with two spaces and its name; its description's continuation lines are indented further.
        return lines[(start + 1)...].compactMap { line in
            guard line.hasPrefix("  "), line.dropFirst(2).first?.isLowercase == true else { return nil }
            return line.dropFirst(2).split(separator: " ").first.map(String.init)
        }
    }

    @Test("every command's help states each default once (ArgumentParser adds it for options that have one)")
    func defaultsOnce() throws {
        let exe = try nstExecutable()
        let commands = try Self.subcommands(exe)
        #expect(commands.contains("mask") && commands.contains("stylize") && commands.count >= 10)
        // "(default: X). (default: X)" once the help's line breaks are undone.
        let twice = try Regex(#"\(default: ([^()]*)\)\.? *\(default: \1\)"#)
        for command in commands {
            let help = try ChildProcess.run(exe, ["help", command])
            #expect(help.status == 0, "nst-exp help \(command)")
            let text = help.output.split(whereSeparator: \.isWhitespace).joined(separator: " ")
            let repeated = text.matches(of: twice).map { String(text[$0.range]) }
            #expect(repeated.isEmpty, "nst-exp help \(command): \(repeated)")
        }
    }
}

@Suite("Standard output")
struct StandardOutputTests {
    @Test("results printed to a full device are an error (exit 1, said on stderr), not exit 0")
    func fullDeviceIsAnError() throws {
        let exe = try nstExecutable()
        let full = try ChildProcess.run(URL(fileURLWithPath: "/bin/sh"), ["-c", "exec \"$0\" weights path > /dev/full", exe.path])
        #expect(full.status == 1 && full.output.contains("cannot write standard output"), "\(full.status): \(full.output)")
        let null = try ChildProcess.run(URL(fileURLWithPath: "/bin/sh"), ["-c", "exec \"$0\" weights path > /dev/null", exe.path])
        #expect(null.status == 0 && null.output.isEmpty, "\(null.status): \(null.output)")
    }
}
