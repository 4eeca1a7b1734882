import Foundation

/// An sbatch script that runs a sweep as a Slurm job array: task k runs `nst-exp run SWEEP --shard k/n`.
///
/// Shards write disjoint run folders, so the tasks need no locking; every task logs to its own file
/// `<output>/slurm/<job>_<task>.log`. Paths are made absolute so the script works from any submit folder.
public struct SlurmExport: Sendable {
    /// The sweep file.
    public var sweep: URL
    /// The sweep's output folder.
    public var output: URL
    /// The nst-exp executable the tasks run.
    public var executable: URL
    /// Number of array tasks n (shards); at most the number of runs.
    public var tasks: Int
    /// At most this many tasks at once (the `%P` of `--array`).
    public var parallel: Int
    public var cpusPerTask = 2
    /// Memory per task in MiB.
    public var memoryMiB = 4000
    /// Wall-clock limit per task, `HH:MM:SS` (nil = the partition's default).
    public var timeLimit: String? = nil
    public var partition: String? = nil
    /// `--set key=value` overrides passed to every task.
    public var overrides: [String] = []
    /// `--max-runs` passed to every task, when the sweep is larger than `nst-exp run`'s default limit.
    public var maxRuns: Int? = nil
    /// Job name.
    public var jobName: String

    /// An export of `sweep` into `output` with `tasks` shards, `parallel` at a time.
    public init(sweep: URL, output: URL, executable: URL, tasks: Int, parallel: Int, jobName: String) {
        self.sweep = sweep
        self.output = output
        self.executable = executable
        self.tasks = tasks
        self.parallel = parallel
        self.jobName = jobName
    }

    /// The folder of the per-task logs.
    public var logFolder: URL { output.appendingPathComponent("slurm") }

    /// The script text.
    public func script() -> String {
        let q = Provenance.shellQuoted
        var lines = ["#!/bin/bash",
                     "#SBATCH --job-name=\(q("nst-" + jobName))",
                     "#SBATCH --array=0-\(tasks - 1)%\(parallel)",
                     "#SBATCH --cpus-per-task=\(cpusPerTask)",
                     "#SBATCH --mem=\(memoryMiB)M",
                     "#SBATCH --output=\(logFolder.path)/%A_%a.log"]
        if let timeLimit { lines.append("#SBATCH --time=\(timeLimit)") }
        if let partition { lines.append("#SBATCH --partition=\(partition)") }
        let sets = overrides.map { " --set " + q($0) }.joined() + (maxRuns.map { " --max-runs \($0)" } ?? "")
        lines += ["# Written by nst-exp export slurm: task k of the array runs shard k/\(tasks) of the sweep (runs with index mod \(tasks) == k).",
                  "set -euo pipefail",
                  "export NST_THREADS=\"${SLURM_CPUS_PER_TASK:-\(cpusPerTask)}\"",
                  "echo \"task ${SLURM_ARRAY_TASK_ID} of job ${SLURM_ARRAY_JOB_ID} on $(hostname)\"",
                  "exec \(q(executable.path)) run \(q(sweep.path)) --shard \"${SLURM_ARRAY_TASK_ID}/\(tasks)\" --output \(q(output.path))\(sets)",
                  ""]
        return lines.joined(separator: "\n")
    }

    /// Writes the script (executable) and creates the log folder, which sbatch needs to exist.
    public func write(to url: URL) throws {
        try SweepFiles.makeFolder(logFolder)
        try SweepFiles.write(Data(script().utf8), to: url)
        do { try FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: url.path) } catch {
            throw SweepError.io(path: url.path, reason: error.localizedDescription)
        }
    }
}
