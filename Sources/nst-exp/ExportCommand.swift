import ArgumentParser
import Foundation
import NSTExperiments

/// `nst-exp export`: turns a sweep into a job description for an existing scheduler.
struct ExportCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "export",
        abstract: "Export a sweep for a cluster scheduler.",
        subcommands: [SlurmExportCommand.self])
}

/// `nst-exp export slurm SWEEP`: an sbatch script for a job array, one shard per task.
struct SlurmExportCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "slurm",
        abstract: "Write an sbatch script that runs the sweep as a Slurm job array (task k runs --shard k/n).",
        discussion: "Submit it with `sbatch SCRIPT`. Each task writes its own log under <reports>/slurm/; run folders are disjoint, so no locking is needed.")

    @Argument(help: "The sweep file (JSON).")
    var sweep: String

    @Option(help: "Array tasks n (shards); default: one per run.")
    var tasks: Int?

    @Option(help: "At most this many tasks at once (the %P of --array).")
    var parallel: Int = 4

    @Option(help: "Script path (default: <reports>/submit.sbatch).")
    var output: String?

    @Option(help: "The sweep's output folder (default: Reports/<name>).")
    var reports: String?

    @Option(name: .customLong("set"), help: ArgumentHelp("Override a key for every run (repeatable).", valueName: "key=value"))
    var overrides: [String] = []

    @Option(help: "CPUs per task (also NST_THREADS).")
    var cpusPerTask: Int = 2

    @Option(help: "Memory per task in MiB.")
    var mem: Int = 4000

    @Option(help: "Time limit per task, e.g. 01:00:00.")
    var time: String?

    @Option(help: "Slurm partition.")
    var partition: String?

    @Option(help: "Largest sweep accepted (as `nst-exp run --max-runs`; passed on to every task).")
    var maxRuns: Int = SweepOptions.defaultMaxRuns

    @Option(help: "nst-exp executable the tasks run (default: this one).")
    var nstExp: String?

    func validate() throws {
        guard parallel >= 1 else { throw ValidationError("--parallel must be at least 1, got \(parallel)") }
        guard cpusPerTask >= 1 else { throw ValidationError("--cpus-per-task must be at least 1, got \(cpusPerTask)") }
        guard mem >= 1 else { throw ValidationError("--mem must be at least 1 MiB, got \(mem)") }
        if let tasks, tasks < 1 { throw ValidationError("--tasks must be at least 1, got \(tasks)") }
    }

    func run() throws {
        let sweepURL = URL(fileURLWithPath: sweep).standardizedFileURL
        var parsed = try Sweep.load(from: sweepURL)
        for text in overrides { try parsed.override(text) }
        let folder = (reports.map { URL(fileURLWithPath: $0) } ?? SweepOptions.defaultOutput(for: parsed)).standardizedFileURL
        // Plan and validate now, so a broken sweep fails here rather than in every array task.
        guard maxRuns >= 1 else { throw ValidationError("--max-runs \(maxRuns): give a count of at least 1") }
        var options = SweepOptions(output: folder)
        options.maxRuns = maxRuns
        let runner = try SweepRunner(sweep: parsed, options: options)
        let count = runner.plan.runs.count
        var export = SlurmExport(sweep: sweepURL, output: folder, executable: try executable(),
                                 tasks: min(tasks ?? count, max(count, 1)), parallel: parallel, jobName: parsed.name)
        export.cpusPerTask = cpusPerTask
        export.memoryMiB = mem
        export.timeLimit = time
        export.partition = partition
        export.overrides = overrides
        if maxRuns != SweepOptions.defaultMaxRuns { export.maxRuns = maxRuns }
        let script = output.map { URL(fileURLWithPath: $0) } ?? folder.appendingPathComponent("submit.sbatch")
        try refuseCollision(inputs: [("the sweep", sweepURL.path)] + runner.plan.inputFiles.map { ("an input", $0) },
                            outputs: [("--output", script.path)], writing: "the script")
        try export.write(to: script)
        print("wrote \(script.path): \(count) runs in \(export.tasks) array tasks, \(parallel) at a time; submit with `sbatch \(script.path)`")
    }

    private func executable() throws -> URL {
        if let nstExp { return URL(fileURLWithPath: nstExp).standardizedFileURL }
        if let path = try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe") {
            return URL(fileURLWithPath: path)
        }
        return URL(fileURLWithPath: CommandLine.arguments[0]).standardizedFileURL
    }
}
