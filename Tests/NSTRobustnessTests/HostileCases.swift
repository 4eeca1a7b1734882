import Foundation
import NSTImage
import Testing
import NSTTestSupport

/// One hostile input: how to set up the workspace, the command line, and what must happen.
struct HostileCase: Sendable, CustomStringConvertible, CustomTestStringConvertible {
    enum Expectation: Sendable {
        /// Exit 1 or 64 before or during the run, with a message containing each of `mentions` (case-insensitive).
        case refused(mentions: [String])
        /// Exit 0; then `check` looks at the workspace and the output.
        case completes(check: @Sendable (Workspace, String) throws -> Void)
    }

    let group: String
    let name: String
    var setup: @Sendable (Workspace) throws -> Void = { _ in }
    let arguments: @Sendable (Workspace) throws -> [String]
    let expectation: Expectation
    /// Workspace files the case may change (its outputs); every other file must be left as it was.
    var mayChange: Set<String> = []

    var description: String { "\(group): \(name)" }
    var testDescription: String { description }
}

/// `nst-exp stylize` on the workspace's inputs at 32 px for one iteration, with `set` replacing or adding flags
/// (a nil value drops the flag) and `extra` appended.
func stylize(_ set: [String: String?] = [:], extra: [String] = []) throws -> [String] {
    ["stylize"] + flags([("--content", "content.png"), ("--style", "style.png"), ("--weights", try Fixtures.weightsPath()),
                         ("--size", "32"), ("--iterations", "1"), ("--print-every", "0"), ("--output", "out/result.png")],
                        set: set) + extra
}

/// `defaults` as flag-value words, with `set` replacing or adding flags (a nil value drops the flag).
func flags(_ defaults: [(String, String?)], set: [String: String?]) -> [String] {
    var flags = defaults
    for (flag, value) in set.sorted(by: { $0.key < $1.key }) {
        if let index = flags.firstIndex(where: { $0.0 == flag }) { flags[index].1 = value } else { flags.append((flag, value)) }
    }
    return flags.flatMap { flag, value in value.map { [flag, $0] } ?? [] }
}

/// `nst-exp mask --auto` on the workspace's content and style, maps to out/, no preview; `set` replaces or adds flags.
func autoMask(_ set: [String: String?] = [:]) -> [String] {
    ["mask", "--auto"] + flags([("--content", "content.png"), ("--style", "style.png"), ("--output", "out/c.png"),
                                ("--style-output", "out/s.png"), ("--preview", "none")], set: set)
}

/// A check that `name` in the workspace decodes as an image of the given size.
func decodes(_ name: String, width: Int? = nil) -> @Sendable (Workspace, String) throws -> Void {
    { workspace, _ in
        let image = try ImageIO.decode(try workspace.read(name), name: name)
        if let width, image.width != width { throw Harness.Failure(description: "\(name) is \(image.width) wide, expected \(width)") }
    }
}

/// A config file in the workspace.
func config(_ name: String, _ json: String) -> @Sendable (Workspace) throws -> Void {
    { try $0.text(name, json) }
}

/// The table of hostile cases. Each one is run by `RobustnessTests.hostileInput`.
enum HostileCases {
    static let all: [HostileCase] = specialFiles + collisions + bounds + foundationErrors + weights + images + masks

    // MARK: special files as outputs

    static let specialFiles: [HostileCase] = [
        HostileCase(group: "special", name: "--log /dev/null completes and leaves the device",
                    arguments: { _ in try stylize(["--log": "/dev/null"]) },
                    expectation: .completes(check: decodes("out/result.png", width: 32)), mayChange: ["out/result.png"]),
        HostileCase(group: "special", name: "--log /dev/full is an error (no space), not exit 0",
                    arguments: { _ in try stylize(["--log": "/dev/full"]) },
                    expectation: .refused(mentions: ["/dev/full", "space"]), mayChange: ["out/result.png"]),
        HostileCase(group: "special", name: "--log /dev/stdout writes the CSV to standard output",
                    arguments: { _ in try stylize(["--log": "/dev/stdout"]) },
                    expectation: .completes(check: { _, output in
                        guard output.contains("iteration,total,content,style") else { throw Harness.Failure(description: "no CSV on stdout") }
                    }), mayChange: ["out/result.png"]),
        HostileCase(group: "special", name: "--log /dev/stderr",
                    arguments: { _ in try stylize(["--log": "/dev/stderr"]) },
                    expectation: .completes(check: { _, output in
                        guard output.contains("iteration,total") else { throw Harness.Failure(description: "no CSV on stderr") }
                    }), mayChange: ["out/result.png"]),
        HostileCase(group: "special", name: "--log through a symlink keeps the link and updates its target",
                    setup: { try $0.text("real.csv", "old\n"); try $0.link("link.csv", to: "real.csv") },
                    arguments: { _ in try stylize(["--log": "link.csv"]) },
                    expectation: .completes(check: { w, _ in
                        guard (try? FileManager.default.destinationOfSymbolicLink(atPath: w.path("link.csv"))) == "real.csv",
                              String(decoding: try w.read("real.csv"), as: UTF8.self).hasPrefix("iteration,") else {
                            throw Harness.Failure(description: "link.csv was replaced or real.csv not written")
                        }
                    }), mayChange: ["out/result.png", "real.csv"]),
        HostileCase(group: "special", name: "--log symlink to /dev/null stays a symlink",
                    setup: { try $0.link("null.csv", to: "/dev/null") },
                    arguments: { _ in try stylize(["--log": "null.csv"]) },
                    expectation: .completes(check: decodes("out/result.png")), mayChange: ["out/result.png"]),
        HostileCase(group: "special", name: "--output symlink to /dev/null writes the device, not a file",
                    setup: { try $0.link("null.png", to: "/dev/null") },
                    arguments: { _ in try stylize(["--output": "null.png"]) },
                    expectation: .completes(check: { w, _ in
                        guard FileIO.kind(w.path("null.png")) == .characterDevice else { throw Harness.Failure(description: "null.png replaced") }
                    })),
        HostileCase(group: "special", name: "--output symlink to /dev/full fails with no space",
                    setup: { try $0.link("full.png", to: "/dev/full") },
                    arguments: { _ in try stylize(["--output": "full.png"]) },
                    expectation: .refused(mentions: ["full.png", "space"])),
        HostileCase(group: "special", name: "--output through a symlink replaces the target, keeps the link",
                    setup: { try $0.write("target.png", try Fixtures.png(Fixtures.picture(width: 4, height: 4)))
                             try $0.link("link.png", to: "target.png") },
                    arguments: { _ in try stylize(["--output": "link.png"]) },
                    expectation: .completes(check: { w, _ in
                        guard (try? FileManager.default.destinationOfSymbolicLink(atPath: w.path("link.png"))) == "target.png" else {
                            throw Harness.Failure(description: "link.png is no longer a symlink")
                        }
                        try decodes("target.png", width: 32)(w, "")
                    }), mayChange: ["target.png"]),
        HostileCase(group: "special", name: "--log FIFO without a reader is an error, not a hang",
                    setup: { try $0.fifo("pipe.csv") },
                    arguments: { _ in try stylize(["--log": "pipe.csv"]) },
                    expectation: .refused(mentions: ["pipe.csv", "no reader"]), mayChange: ["out/result.png"]),
        HostileCase(group: "special", name: "--output is a directory",
                    setup: { try $0.folder("dir.png") },
                    arguments: { _ in try stylize(["--output": "dir.png"]) },
                    expectation: .refused(mentions: ["output", "dir.png", "directory"])),
        HostileCase(group: "special", name: "--log is a directory",
                    arguments: { _ in try stylize(["--log": "out"]) },
                    expectation: .refused(mentions: ["log", "directory"])),
        HostileCase(group: "special", name: "--output in a missing folder",
                    arguments: { _ in try stylize(["--output": "missing/result.png"]) },
                    expectation: .refused(mentions: ["output", "missing", "does not exist"])),
        HostileCase(group: "special", name: "--output under a regular file used as a folder",
                    arguments: { _ in try stylize(["--output": "content.png/result.png"]) },
                    expectation: .refused(mentions: ["output", "content.png", "not a folder"])),
        HostileCase(group: "special", name: "--log /proc/version is refused in words",
                    arguments: { _ in try stylize(["--log": "/proc/version"]) },
                    expectation: .refused(mentions: ["log", "/proc", "does not accept new files"])),
        HostileCase(group: "special", name: "--output /dev/null has no image extension",
                    arguments: { _ in try stylize(["--output": "/dev/null"]) },
                    expectation: .refused(mentions: ["output", ".png"])),
        HostileCase(group: "special", name: "mask --output symlink to /dev/null",
                    setup: { try $0.link("null.png", to: "/dev/null") },
                    arguments: { _ in ["mask", "--image", "content.png", "--rule", "red: r > 0.5", "--output", "null.png"] },
                    expectation: .completes(check: { w, _ in
                        guard FileIO.kind(w.path("null.png")) == .characterDevice else { throw Harness.Failure(description: "null.png replaced") }
                    })),
    ]

    // MARK: collisions between inputs and outputs

    static let collisions: [HostileCase] = [
        HostileCase(group: "collision", name: "--output is the content image",
                    arguments: { _ in try stylize(["--output": "content.png"]) },
                    expectation: .refused(mentions: ["output", "content", "content.png"])),
        HostileCase(group: "collision", name: "--output is the style image",
                    arguments: { _ in try stylize(["--output": "style.png"]) },
                    expectation: .refused(mentions: ["output", "style"])),
        HostileCase(group: "collision", name: "--output is the second style image",
                    arguments: { _ in try stylize(["--output": "style2.jpg"], extra: ["--style", "style2.jpg"]) },
                    expectation: .refused(mentions: ["output", "style[1]"])),
        HostileCase(group: "collision", name: "--output names the content through ../",
                    arguments: { _ in try stylize(["--output": "out/../content.png"]) },
                    expectation: .refused(mentions: ["output", "content"])),
        HostileCase(group: "collision", name: "--output names the content through a missing folder's ../",
                    arguments: { _ in try stylize(["--output": "nosuch/../content.png"]) },
                    expectation: .refused(mentions: ["nosuch/..", "does not exist"])),
        HostileCase(group: "collision", name: "mask --output names its --image through a missing folder's ../",
                    arguments: { _ in ["mask", "--image", "content_mask.png", "--rule", "red: r > 0.5", "--output", "nosuch/../content_mask.png"] },
                    expectation: .refused(mentions: ["nosuch/..", "does not exist"])),
        HostileCase(group: "collision", name: "features --output holds the image as one of its mosaics",
                    setup: { w in
                        try FileManager.default.createDirectory(atPath: w.path("fx"), withIntermediateDirectories: true)
                        try w.write("fx/relu1_1.png", try w.read("content.png"))
                    },
                    arguments: { _ in ["features", "fx/relu1_1.png", "--size", "32", "--layers", "relu1_1", "--output", "fx"] },
                    expectation: .refused(mentions: ["relu1_1 mosaic", "the image", "fx/relu1_1.png"])),
        HostileCase(group: "bounds", name: "features --size 16384",
                    arguments: { _ in ["features", "content.png", "--size", "16384", "--layers", "relu1_1"] },
                    expectation: .refused(mentions: ["--size", "16384", "this machine has"])),
        HostileCase(group: "collision", name: "run: the sweep file is manifest.json in its own output folder",
                    setup: { w in try w.write("manifest.json", try w.read("sweep.json")) },
                    arguments: { _ in ["run", "manifest.json", "--output", "."] },
                    expectation: .refused(mentions: ["the sweep file", "manifest.json", "--output"])),
        HostileCase(group: "collision", name: "run: a content image inside the output folder's report/",
                    setup: { w in
                        try FileManager.default.createDirectory(atPath: w.path("out/report/images"), withIntermediateDirectories: true)
                        try w.write("out/report/images/c.png", try w.read("content.png"))
                        try w.text("in.json", try String(decoding: w.read("sweep.json"), as: UTF8.self)
                            .replacingOccurrences(of: "\"content.png\"", with: "\"out/report/images/c.png\""))
                    },
                    arguments: { _ in ["run", "in.json", "--output", "out"] },
                    expectation: .refused(mentions: ["out/report/images/c.png", "report/"])),
        HostileCase(group: "messages", name: "a --config value beyond a 32-bit float names its key (it said 'not valid JSON')",
                    setup: config("big.json", #"{"content": "content.png", "style": "style.png", "layer_weights": {"style": {"relu1_1": 1e39}}}"#),
                    arguments: { _ in try stylize(["--content": nil, "--style": nil], extra: ["--config", "big.json"]) },
                    expectation: .refused(mentions: ["layer_weights.style.relu1_1", "32-bit float"])),
        HostileCase(group: "messages", name: "a sweep value below a 32-bit float's smallest names its key",
                    setup: { w in try w.text("tinyw.json", try String(decoding: w.read("sweep.json"), as: UTF8.self)
                        .replacingOccurrences(of: "[1000]", with: "[1e-50]")) },
                    arguments: { _ in ["run", "tinyw.json", "--dry-run"] },
                    expectation: .refused(mentions: ["style_weight", "32-bit float"])),
        HostileCase(group: "messages", name: "a sweep's report block with an unknown key is refused at load",
                    setup: { w in try w.text("rep.json", try String(decoding: w.read("sweep.json"), as: UTF8.self)
                        .replacingOccurrences(of: "\"grid\"", with: "\"report\": {\"row\": \"style_weight\"}, \"grid\"")) },
                    arguments: { _ in ["run", "rep.json", "--dry-run"] },
                    expectation: .refused(mentions: ["report.row", "rows"])),
        HostileCase(group: "messages", name: "a sweep's report rows that is not a key name is refused at load (not after every run)",
                    setup: { w in try w.text("rep5.json", try String(decoding: w.read("sweep.json"), as: UTF8.self)
                        .replacingOccurrences(of: "\"grid\"", with: "\"report\": {\"rows\": 5}, \"grid\"")) },
                    arguments: { _ in ["run", "rep5.json", "--output", "out/rep5"] },
                    expectation: .refused(mentions: ["report.rows", "got 5"])),
        HostileCase(group: "messages", name: "a sweep name with a newline",
                    setup: { w in try w.text("nl.json", try String(decoding: w.read("sweep.json"), as: UTF8.self)
                        .replacingOccurrences(of: "\"tiny\"", with: "\"ti\\nny\"")) },
                    arguments: { _ in ["export", "slurm", "nl.json", "--output", "out/s.sbatch"] },
                    expectation: .refused(mentions: ["name", "control characters"])),
        HostileCase(group: "messages", name: "a sweep's base sets output (the runner names each run's files)",
                    setup: { w in try w.text("outb.json", try String(decoding: w.read("sweep.json"), as: UTF8.self)
                        .replacingOccurrences(of: "\"print_every\": 0", with: "\"print_every\": 0, \"output\": \"x.png\"")) },
                    arguments: { _ in ["run", "outb.json", "--dry-run"] },
                    expectation: .refused(mentions: ["base.output", "runs/<id>/final.png"])),
        HostileCase(group: "messages", name: "a random weights file given by the user: no advice to reinstall the installed ones",
                    setup: { try $0.write("rnd.safetensors", Data((0..<1000).map { UInt8(truncatingIfNeeded: $0 &* 7919 &+ 13) })) },
                    arguments: { _ in try stylize(["--weights": "rnd.safetensors"]) },
                    expectation: .refused(mentions: ["rnd.safetensors", "leave out the weights option"])),
        HostileCase(group: "messages", name: "a guided-filter window wider than the output (it was skipped silently)",
                    arguments: { _ in try stylize(extra: ["--guided-filter-radius", "12"]) },
                    expectation: .refused(mentions: ["guided_filter_radius", "32×21", "up to 10"])),
        HostileCase(group: "messages", name: "a sweep's base sets a key both dotted and nested",
                    setup: { w in try w.text("twice.json", try String(decoding: w.read("sweep.json"), as: UTF8.self)
                        .replacingOccurrences(of: "\"print_every\": 0", with: "\"print_every\": 0, \"layer_weights.style.relu1_1\": 1, "
                            + "\"layer_weights\": {\"style\": {\"relu1_1\": 2}}")) },
                    arguments: { _ in ["run", "twice.json", "--dry-run"] },
                    expectation: .refused(mentions: ["base.layer_weights.style.relu1_1", "base.layer_weights", "one place"])),
        HostileCase(group: "messages", name: "run --dry-run --output a regular file",
                    setup: { try $0.text("afile", "notes\n") },
                    arguments: { _ in ["run", "sweep.json", "--output", "afile", "--dry-run"] },
                    expectation: .refused(mentions: ["afile", "not a folder", "--output"])),
        HostileCase(group: "messages", name: "run --dry-run with a 300-character sweep name",
                    setup: { w in try w.text("long.json", try String(decoding: w.read("sweep.json"), as: UTF8.self)
                        .replacingOccurrences(of: "\"tiny\"", with: "\"" + String(repeating: "n", count: 300) + "\"")) },
                    arguments: { _ in ["run", "long.json", "--dry-run"] },
                    expectation: .refused(mentions: ["300 bytes", "255"])),
        HostileCase(group: "collision", name: "--output is a symlink to the content",
                    setup: { try $0.link("alias.png", to: "content.png") },
                    arguments: { _ in try stylize(["--output": "alias.png"]) },
                    expectation: .refused(mentions: ["output", "content"])),
        HostileCase(group: "collision", name: "--output is a hard link to the style",
                    setup: { try $0.hardLink("hard.png", to: "style.png") },
                    arguments: { _ in try stylize(["--output": "hard.png"]) },
                    expectation: .refused(mentions: ["output", "style"])),
        HostileCase(group: "collision", name: "--log is the output image",
                    arguments: { _ in try stylize(["--log": "out/result.png"]) },
                    expectation: .refused(mentions: ["output", "log"])),
        HostileCase(group: "collision", name: "--log is the content image",
                    arguments: { _ in try stylize(["--log": "content.png"]) },
                    expectation: .refused(mentions: ["log", "content"])),
        HostileCase(group: "collision", name: "--log is the weights file",
                    arguments: { _ in try stylize(["--log": try Fixtures.weightsPath()]) },
                    expectation: .refused(mentions: ["log", "weights"])),
        HostileCase(group: "collision", name: "--log is the --config file",
                    setup: config("run.json", #"{"tv_weight": 0}"#),
                    arguments: { _ in try stylize(["--config": "run.json", "--log": "run.json"]) },
                    expectation: .refused(mentions: ["log", "config"])),
        HostileCase(group: "collision", name: "--output is the content mask",
                    arguments: { _ in try stylize(["--content-mask": "content_mask.png", "--style-mask": "style_mask.png",
                                                   "--output": "content_mask.png"]) },
                    expectation: .refused(mentions: ["output", "content_mask"])),
        HostileCase(group: "collision", name: "--output is the style mask",
                    arguments: { _ in try stylize(["--content-mask": "content_mask.png", "--style-mask": "style_mask.png",
                                                   "--output": "style_mask.png"]) },
                    expectation: .refused(mentions: ["output", "style_masks[0]"])),
        HostileCase(group: "collision", name: "--log is a region's content guide",
                    arguments: { _ in try stylize(["--region": "content-guide=content_mask.png,style=0", "--log": "content_mask.png"]) },
                    expectation: .refused(mentions: ["log", "regions[0].content_guide"])),
        HostileCase(group: "collision", name: "--output is the --init image",
                    setup: { try $0.write("start.png", try Fixtures.png(Fixtures.picture(width: 48, height: 32, phase: 1))) },
                    arguments: { _ in try stylize(["--init": "start.png", "--output": "start.png"]) },
                    expectation: .refused(mentions: ["output", "init"])),
        HostileCase(group: "collision", name: "a snapshot (save_every) would overwrite the content",
                    setup: { try $0.write("result_2.png", try $0.read("content.png")) },
                    arguments: { _ in try stylize(["--content": "result_2.png", "--output": "result.png",
                                                   "--save-every": "2", "--iterations": "4"]) },
                    expectation: .refused(mentions: ["snapshot", "content", "result_2.png"])),
        HostileCase(group: "collision", name: "output collision in a --config file",
                    setup: config("run.json", #"{"content": "content.png", "style": "style.png", "output": "style.png"}"#),
                    arguments: { _ in ["stylize", "--config", "run.json", "--weights", try Fixtures.weightsPath()] },
                    expectation: .refused(mentions: ["output", "style"])),
        HostileCase(group: "collision", name: "mask --output is its --image",
                    arguments: { _ in ["mask", "--image", "content_mask.png", "--rule", "red: r > 0.5", "--output", "content_mask.png"] },
                    expectation: .refused(mentions: ["--output", "--image"])),
        HostileCase(group: "collision", name: "mask --auto --output is the content image",
                    arguments: { _ in autoMask(["--output": "content.png"]) },
                    expectation: .refused(mentions: ["--output", "--content", "content.png"])),
        HostileCase(group: "collision", name: "mask --auto writes a reference map over itself",
                    arguments: { _ in autoMask(["--compare-content": "content_mask.png", "--compare-style": "style_mask.png",
                                                "--style-output": "style_mask.png"]) },
                    expectation: .refused(mentions: ["--style-output", "--compare-style", "style_mask.png"])),
        HostileCase(group: "collision", name: "mask --auto --output and --style-output are one file",
                    arguments: { _ in autoMask(["--style-output": "out/c.png"]) },
                    expectation: .refused(mentions: ["--output", "--style-output"])),
        HostileCase(group: "collision", name: "mask --auto --preview is the style image",
                    arguments: { _ in autoMask(["--preview": "style.png"]) },
                    expectation: .refused(mentions: ["--preview", "--style"])),
        HostileCase(group: "collision", name: "mask --auto in a missing folder is refused before the analysis",
                    arguments: { _ in autoMask(["--style-output": "missing/s.png"]) },
                    expectation: .refused(mentions: ["--style-output", "missing", "does not exist"])),
        HostileCase(group: "collision", name: "stylize --auto-masks would write its content map over the content",
                    setup: { try $0.write("r_content_mask.png", try $0.read("content.png")) },
                    arguments: { _ in try stylize(["--content": "r_content_mask.png", "--output": "r.png"], extra: ["--auto-masks"]) },
                    expectation: .refused(mentions: ["auto_masks", "content", "r_content_mask.png"])),
        HostileCase(group: "collision", name: "export slurm --output is the sweep file",
                    arguments: { _ in ["export", "slurm", "sweep.json", "--output", "sweep.json", "--reports", "out/tiny"] },
                    expectation: .refused(mentions: ["--output", "sweep"]), mayChange: ["out"]),
    ]

    // MARK: upper bounds of numeric keys and of memory

    static let bounds: [HostileCase] = [
        ("--size", "99999999999", "size"), ("--size", "9223372036854775807", "size"), ("--size", "-5", "size"),
        ("--size", "16385", "size"), ("--size", "8192", "machine has"), ("--pixel-count", "9000000000000", "pixel_count"),
        ("--pixel-count", "100000000", "machine has"), ("--style-scale", "1e30", "style_scale"), ("--style-scale", "nan", "style_scale"),
        ("--style-scale", "65", "style_scale"), ("--iterations", "1000000000", "iterations"),
        ("--iterations", "-1", "iterations"), ("--scales", "32,99999", "scales[1]"),
        ("--scales", (0..<17).map { _ in "32" }.joined(separator: ","), "scales"),
        ("--lbfgs-history", "1000000000", "lbfgs_history"), ("--lbfgs-history-mib", "100000000000", "lbfgs_history_mib"),
        ("--learning-rate", "1e30", "learning_rate"), ("--learning-rate", "inf", "learning_rate"),
        ("--save-every", "99999999999", "save_every"), ("--print-every", "99999999999", "print_every"),
        ("--style-weight", "inf", "style_weight"), ("--content-weight", "-1", "content_weight"), ("--tv-weight", "nan", "tv_weight"),
    ].map { flag, value, mention in
        // A negative value goes as --flag=value, or the parser would take it for an option.
        HostileCase(group: "bounds", name: "\(flag) \(value.prefix(24))",
                    arguments: { _ in value.hasPrefix("-") ? try stylize(extra: ["\(flag)=\(value)"]) : try stylize([flag: value]) },
                    expectation: .refused(mentions: [mention]))
    } + [
        HostileCase(group: "bounds", name: "style side beyond the limit (size 512, style_scale 40)",
                    arguments: { _ in try stylize(["--size": "512", "--style-scale": "40"]) },
                    expectation: .refused(mentions: ["style_scale", "20480"])),
        HostileCase(group: "bounds", name: "style image too large for the memory (size 512, style_scale 30)",
                    arguments: { _ in try stylize(["--size": "512", "--style-scale": "30"]) },
                    expectation: .refused(mentions: ["size", "machine has"])),
        HostileCase(group: "bounds", name: "--feather 1e9 with masks",
                    arguments: { _ in try stylize(["--content-mask": "content_mask.png", "--style-mask": "style_mask.png", "--feather": "1e9"]) },
                    expectation: .refused(mentions: ["feather_radius"])),
        HostileCase(group: "bounds", name: "--erosion 1000000 with masks",
                    arguments: { _ in try stylize(["--content-mask": "content_mask.png", "--style-mask": "style_mask.png", "--erosion": "1000000"]) },
                    expectation: .refused(mentions: ["erosion"])),
        HostileCase(group: "bounds", name: "--erosion -1000000 with masks",
                    arguments: { _ in try stylize(["--content-mask": "content_mask.png", "--style-mask": "style_mask.png"], extra: ["--erosion=-1000000"]) },
                    expectation: .refused(mentions: ["erosion"])),
        HostileCase(group: "bounds", name: "iterations_per_scale entry near Int.max",
                    arguments: { _ in try stylize(["--scales": "32,32", "--iterations-per-scale": "1,9223372036854775807"]) },
                    expectation: .refused(mentions: ["iterations_per_scale"])),
        HostileCase(group: "bounds", name: "iterations_per_scale whose sum overflows",
                    arguments: { _ in try stylize(["--scales": "32,32", "--iterations-per-scale": "9000000,9000000"]) },
                    expectation: .refused(mentions: ["iterations_per_scale", "total"])),
        HostileCase(group: "bounds", name: "L-BFGS history that alone exceeds the memory",
                    arguments: { _ in try stylize(["--size": "4096", "--lbfgs-history": "10000", "--lbfgs-history-mib": "1000000"]) },
                    expectation: .refused(mentions: ["machine has", "lbfgs_history_mib"])),
        HostileCase(group: "bounds", name: "size as a huge JSON integer in a config",
                    setup: config("run.json", #"{"size": 99999999999999999999999}"#),
                    arguments: { _ in try stylize(["--config": "run.json", "--size": nil]) },
                    expectation: .refused(mentions: ["size", "64-bit"])),
        HostileCase(group: "bounds", name: "size as a fraction in a config",
                    setup: config("run.json", #"{"size": 32.5}"#),
                    arguments: { _ in try stylize(["--config": "run.json", "--size": nil]) },
                    expectation: .refused(mentions: ["size", "fraction"])),
        HostileCase(group: "bounds", name: "a fraction in a config's scales list",
                    setup: config("run.json", #"{"scales": [32, 40.5]}"#),
                    arguments: { _ in try stylize(["--config": "run.json"]) },
                    expectation: .refused(mentions: ["scales[1]", "fraction"])),
        HostileCase(group: "bounds", name: "mask_tolerance 5",
                    arguments: { _ in try stylize(["--content-mask": "content_mask.png", "--style-mask": "style_mask.png", "--mask-tolerance": "5"]) },
                    expectation: .refused(mentions: ["mask_tolerance"])),
        HostileCase(group: "bounds", name: "features --size 1000000",
                    arguments: { _ in ["features", "content.png", "--size", "1000000"] },
                    expectation: .refused(mentions: ["--size"])),
        HostileCase(group: "bounds", name: "mask --size 100000x100000",
                    arguments: { _ in ["mask", "--image", "content.png", "--rule", "red: r > 0.5", "--size", "100000x100000", "--output", "m.png"] },
                    expectation: .refused(mentions: ["100000x100000"])),
    ]

    // MARK: errors that were raw Foundation codes or misleading

    static let foundationErrors: [HostileCase] = [
        HostileCase(group: "messages", name: "--config is a directory",
                    arguments: { _ in try stylize(["--config": "out"]) },
                    expectation: .refused(mentions: ["out", "directory"])),
        HostileCase(group: "messages", name: "--config does not exist",
                    arguments: { _ in try stylize(["--config": "nothing.json"]) },
                    expectation: .refused(mentions: ["nothing.json", "no such file"])),
        HostileCase(group: "messages", name: "--config /dev/zero is refused, not read forever",
                    arguments: { _ in try stylize(["--config": "/dev/zero"]) },
                    expectation: .refused(mentions: ["/dev/zero", "character device"])),
        HostileCase(group: "messages", name: "--config FIFO is refused, not waited on",
                    setup: { try $0.fifo("run.json") },
                    arguments: { _ in try stylize(["--config": "run.json"]) },
                    expectation: .refused(mentions: ["run.json", "FIFO"])),
        HostileCase(group: "messages", name: "1e999 in a config gives its position",
                    setup: config("run.json", "{\n  \"tv_weight\": 0,\n  \"style_weight\": 1e999\n}\n"),
                    arguments: { _ in try stylize(["--config": "run.json"]) },
                    expectation: .refused(mentions: ["run.json", "1e999", "line 3, column 19"])),
        HostileCase(group: "messages", name: "missing comma in a config gives its position",
                    setup: config("run.json", "{\"size\": 32\n \"iterations\": 1}"),
                    arguments: { _ in try stylize(["--config": "run.json"]) },
                    expectation: .refused(mentions: ["run.json", "line 2, column 2"])),
        HostileCase(group: "messages", name: "NaN literal in a config",
                    setup: config("run.json", #"{"style_weight": NaN}"#),
                    arguments: { _ in try stylize(["--config": "run.json"]) },
                    expectation: .refused(mentions: ["run.json", "line 1"])),
        HostileCase(group: "messages", name: "unclosed string in a config",
                    setup: config("run.json", #"{"content": "content.png}"#),
                    arguments: { _ in try stylize(["--config": "run.json"]) },
                    expectation: .refused(mentions: ["run.json", "never closed"])),
        HostileCase(group: "messages", name: "empty config file",
                    setup: config("run.json", ""),
                    arguments: { _ in try stylize(["--config": "run.json"]) },
                    expectation: .refused(mentions: ["run.json"])),
        HostileCase(group: "messages", name: "binary garbage as a config",
                    setup: { try $0.write("run.json", Data((0..<256).map { UInt8($0) })) },
                    arguments: { _ in try stylize(["--config": "run.json"]) },
                    expectation: .refused(mentions: ["run.json"])),
        HostileCase(group: "messages", name: "config nested 100000 deep",
                    setup: config("run.json", String(repeating: "[", count: 100_000)),
                    arguments: { _ in try stylize(["--config": "run.json"]) },
                    expectation: .refused(mentions: ["run.json"])),
        HostileCase(group: "messages", name: "config is a JSON list",
                    setup: config("run.json", "[1, 2]"),
                    arguments: { _ in try stylize(["--config": "run.json"]) },
                    expectation: .refused(mentions: ["top level", "object"])),
        HostileCase(group: "messages", name: "--weights is a directory",
                    arguments: { _ in try stylize(["--weights": "out"]) },
                    expectation: .refused(mentions: ["out", "directory"])),
        HostileCase(group: "messages", name: "--weights /dev/null",
                    arguments: { _ in try stylize(["--weights": "/dev/null"]) },
                    expectation: .refused(mentions: ["/dev/null", "character device"])),
        HostileCase(group: "messages", name: "run --output is an existing file",
                    setup: { try $0.text("taken", "a file\n") },
                    arguments: { _ in ["run", "sweep.json", "--output", "taken"] },
                    expectation: .refused(mentions: ["taken", "not a folder"])),
        HostileCase(group: "messages", name: "run --output below an existing file",
                    setup: { try $0.text("taken", "a file\n") },
                    arguments: { _ in ["run", "sweep.json", "--output", "taken/sweep"] },
                    expectation: .refused(mentions: ["taken", "not a folder"])),
        HostileCase(group: "messages", name: "run on a directory as the sweep file",
                    arguments: { _ in ["run", "out", "--dry-run"] },
                    expectation: .refused(mentions: ["out", "directory"])),
        HostileCase(group: "messages", name: "1e999 in a sweep gives its position",
                    setup: config("bad.json", "{\"name\": \"x\",\n \"base\": {\"size\": 1e999}}"),
                    arguments: { _ in ["run", "bad.json", "--dry-run"] },
                    expectation: .refused(mentions: ["bad.json", "line 2"])),
        HostileCase(group: "messages", name: "features --output is an existing file",
                    setup: { try $0.text("taken", "a file\n") },
                    arguments: { _ in ["features", "content.png", "--size", "32", "--output", "taken"] },
                    expectation: .refused(mentions: ["taken", "not a folder"])),
        HostileCase(group: "messages", name: "mask --auto --deep-weights with two of three weights",
                    arguments: { _ in ["mask", "--auto", "--content", "content.png", "--style", "style.png", "--deep-weights", "1,nan",
                                       "--output", "c.png", "--style-output", "s.png"] },
                    expectation: .refused(mentions: ["--deep-weights", "1,nan", "relu5_1"])),
        HostileCase(group: "messages", name: "mask --auto --pool-radius beyond any grid (no overflow)",
                    arguments: { _ in autoMask(["--pool-radius": "9223372036854775807"]) },
                    expectation: .refused(mentions: ["pool radius", "9223372036854775807", "256"])),
        HostileCase(group: "messages", name: "mask --auto --color-weight nan",
                    arguments: { _ in autoMask(["--color-weight": "nan"]) },
                    expectation: .refused(mentions: ["colour weight", "nan", "≥ 0"])),
        HostileCase(group: "messages", name: "mask --auto --smoothness -1",
                    arguments: { _ in autoMask(["--smoothness": "-1"]) },
                    expectation: .refused(mentions: ["smoothness", "-1"])),
        HostileCase(group: "messages", name: "mask --auto --coherence -0.5",
                    arguments: { _ in autoMask(["--coherence": "-0.5"]) },
                    expectation: .refused(mentions: ["content coherence", "-0.5", "≥ 0"])),
        HostileCase(group: "messages", name: "mask --auto --minimum-share 2",
                    arguments: { _ in autoMask(["--minimum-share": "2"]) },
                    expectation: .refused(mentions: ["minimum share", "2", "0.5"])),
        HostileCase(group: "messages", name: "mask --auto --compare-style of another aspect ratio",
                    arguments: { _ in autoMask(["--compare-content": "content_mask.png", "--compare-style": "content_mask.png"]) },
                    expectation: .refused(mentions: ["content_mask.png", "48×32"])),
        HostileCase(group: "messages", name: "run --dry-run refuses auto_masks on a content too thin to segment",
                    setup: { w in
                        // 900 × 20 runs at its own size (20 pixels reach relu5_1), but is 320 × 7 at the analysis size.
                        try w.write("thin.png", try Fixtures.png(Fixtures.picture(width: 900, height: 20)))
                        try w.text("thin.json", """
                            {"name": "thin", "base": {"content": "thin.png", "style": "style.png", "size": 900, "iterations": 1,
                              "weights": "\(try Fixtures.weightsPath())", "print_every": 0, "auto_masks": true}}
                            """)
                    },
                    arguments: { _ in ["run", "thin.json", "--dry-run"] },
                    expectation: .refused(mentions: ["auto_masks", "too thin", "900×20", "thin.json"])),
        HostileCase(group: "messages", name: "mask --auto with --size (the maps take the images' sizes)",
                    arguments: { _ in autoMask(["--size": "10x10"]) },
                    expectation: .refused(mentions: ["--auto", "--size"])),
        HostileCase(group: "messages", name: "refine --epsilon 1e-30 (lost in float rounding: black pixels)",
                    arguments: { _ in ["refine", "style.png", "--content", "style.png", "--epsilon", "1e-30", "--output", "out/r.png"] },
                    expectation: .refused(mentions: ["--epsilon", "1e-12", "1e-30"])),
        HostileCase(group: "messages", name: "refine --output in a missing folder is refused before the filtering",
                    arguments: { _ in ["refine", "style.png", "--content", "style.png", "--output", "missing/r.png"] },
                    expectation: .refused(mentions: ["--output", "missing", "does not exist"])),
        HostileCase(group: "messages", name: "photorealism --epsilon 1e-30 (NaN energy)",
                    arguments: { _ in ["photorealism", "style.png", "--content", "style.png", "--epsilon", "1e-30"] },
                    expectation: .refused(mentions: ["--epsilon", "1e-12"])),
        HostileCase(group: "messages", name: "photorealism with a window larger than the image (energy 0)",
                    arguments: { _ in ["photorealism", "style.png", "--content", "style.png", "--window", "41"] },
                    expectation: .refused(mentions: ["style.png", "32×32", "--window"])),
        HostileCase(group: "messages", name: "placement --size beyond the machine's memory (no abort)",
                    arguments: { _ in ["placement", "content.png", "--style", "style.png", "--content-mask", "content_mask.png",
                                       "--style-mask", "style_mask.png", "--size", "16000"] },
                    expectation: .refused(mentions: ["--size", "16000", "this machine has"])),
        HostileCase(group: "messages", name: "placement --size 20 blames the size, not the maps",
                    arguments: { _ in ["placement", "content.png", "--style", "style.png", "--content-mask", "content_mask.png",
                                       "--style-mask", "style_mask.png", "--size", "20"] },
                    expectation: .refused(mentions: ["too small to reach relu5_1", "larger --size"])),
        HostileCase(group: "messages", name: "placement --style-scale 100",
                    arguments: { _ in ["placement", "content.png", "--style", "style.png", "--content-mask", "content_mask.png",
                                       "--style-mask", "style_mask.png", "--size", "64", "--style-scale", "100"] },
                    expectation: .refused(mentions: ["--style-scale", "64"])),
        HostileCase(group: "messages", name: "placement of two images, the second empty: refused before measuring the first",
                    setup: { try $0.write("empty.png", Data()) },
                    arguments: { _ in ["placement", "content.png", "empty.png", "--style", "style.png", "--content-mask", "content_mask.png",
                                       "--style-mask", "style_mask.png", "--json"] },
                    expectation: .refused(mentions: ["empty.png", "empty"])),
        HostileCase(group: "messages", name: "boundary --size 100000",
                    arguments: { _ in ["boundary", "content.png", "--mask", "content_mask.png", "--size", "100000"] },
                    expectation: .refused(mentions: ["--size", "100000", "16384"])),
        HostileCase(group: "messages", name: "bench --set size (bench's own --size)",
                    arguments: { _ in ["bench", "--step", "--set", "size=64"] },
                    expectation: .refused(mentions: ["--set size=64", "--size"])),
        HostileCase(group: "messages", name: "bench --set of a key the network benchmark does not read",
                    arguments: { _ in ["bench", "--set", "style_weight=10"] },
                    expectation: .refused(mentions: ["style_weight", "--step"])),
        HostileCase(group: "messages", name: "bench --kernels --set",
                    arguments: { _ in ["bench", "--kernels", "--set", "conv_kernel=im2col"] },
                    expectation: .refused(mentions: ["--kernels", "drop --set"])),
        HostileCase(group: "messages", name: "stylize --auto-masks -2 reaches the key's check",
                    arguments: { _ in try stylize(extra: ["--auto-masks", "-2"]) },
                    expectation: .refused(mentions: ["auto_masks", "-2", "1…9"])),
        HostileCase(group: "messages", name: "mask --auto --content-labels with an unknown way",
                    arguments: { _ in ["mask", "--auto", "--content", "content.png", "--style", "style.png", "--content-labels", "nearest",
                                       "--output", "c.png", "--style-output", "s.png"] },
                    expectation: .refused(mentions: ["--content-labels", "nearest", "transferred or joint"])),
        HostileCase(group: "messages", name: "mask --shapes is a directory",
                    arguments: { _ in ["mask", "--shapes", "out", "--output", "m.png"] },
                    expectation: .refused(mentions: ["out", "directory"])),
        HostileCase(group: "messages", name: "1e999 in a mask shape file gives its position",
                    setup: config("shapes.json", "{\"width\": 1e999}"),
                    arguments: { _ in ["mask", "--shapes", "shapes.json", "--output", "m.png"] },
                    expectation: .refused(mentions: ["shapes.json", "line 1, column 11"])),
        HostileCase(group: "messages", name: "report on a regular file",
                    setup: { try $0.text("taken", "a file\n") },
                    arguments: { _ in ["report", "taken"] },
                    expectation: .refused(mentions: ["taken"])),
    ]

    // MARK: weights

    static let weights: [HostileCase] = [
        ("conv3_1.weight", 17, Float.nan), ("conv1_1.bias", 0, Float.infinity), ("conv5_1.weight", 99, -Float.infinity),
    ].map { tensor, index, value in
        HostileCase(group: "weights", name: "\(value) in \(tensor)",
                    setup: { try $0.write("bad.safetensors", try Fixtures.weights(setting: tensor, index: index, to: value)) },
                    arguments: { _ in try stylize(["--weights": "bad.safetensors"]) },
                    expectation: .refused(mentions: ["bad.safetensors", tensor, "finite"]))
    } + [
        HostileCase(group: "weights", name: "empty file",
                    setup: { try $0.write("w.safetensors", Data()) },
                    arguments: { _ in try stylize(["--weights": "w.safetensors"]) },
                    expectation: .refused(mentions: ["w.safetensors"])),
        HostileCase(group: "weights", name: "truncated file",
                    setup: { w in
                        let data = try Data(contentsOf: URL(fileURLWithPath: try Fixtures.weightsPath()))
                        try w.write("w.safetensors", data.prefix(data.count / 3))
                    },
                    arguments: { _ in try stylize(["--weights": "w.safetensors"]) },
                    expectation: .refused(mentions: ["w.safetensors"])),
        HostileCase(group: "weights", name: "header length near UInt64.max",
                    setup: { try $0.write("w.safetensors", Fixtures.safetensors(header: "{}", declaredLength: .max - 3)) },
                    arguments: { _ in try stylize(["--weights": "w.safetensors"]) },
                    expectation: .refused(mentions: ["w.safetensors", "header length"])),
        HostileCase(group: "weights", name: "header is not JSON",
                    setup: { try $0.write("w.safetensors", Fixtures.safetensors(header: "{not json")) },
                    arguments: { _ in try stylize(["--weights": "w.safetensors"]) },
                    expectation: .refused(mentions: ["w.safetensors", "header"])),
        HostileCase(group: "weights", name: "tensor shape overflowing Int",
                    setup: { try $0.write("w.safetensors", Fixtures.safetensors(
                        header: #"{"conv1_1.weight": {"dtype": "F32", "shape": [9223372036854775807, 4], "data_offsets": [0, 4]}}"#,
                        payload: Data(count: 4))) },
                    arguments: { _ in try stylize(["--weights": "w.safetensors"]) },
                    expectation: .refused(mentions: ["w.safetensors", "conv1_1.weight"])),
        HostileCase(group: "weights", name: "valid container, wrong layers",
                    setup: { try $0.write("w.safetensors", Fixtures.safetensors(
                        header: #"{"conv1_1.weight": {"dtype": "F32", "shape": [1], "data_offsets": [0, 4]}}"#,
                        payload: Data(count: 4))) },
                    arguments: { _ in try stylize(["--weights": "w.safetensors"]) },
                    expectation: .refused(mentions: ["w.safetensors", "conv1_1"])),
        HostileCase(group: "weights", name: "missing weights file",
                    arguments: { _ in try stylize(["--weights": "none.safetensors"]) },
                    expectation: .refused(mentions: ["none.safetensors"])),
        HostileCase(group: "weights", name: "a PNG as weights",
                    arguments: { _ in try stylize(["--weights": "style.png"]) },
                    expectation: .refused(mentions: ["style.png"])),
        HostileCase(group: "weights", name: "weights import of a directory",
                    arguments: { _ in ["weights", "import", "out"] },
                    expectation: .refused(mentions: ["out"])),
    ]

    // MARK: images

    static let images: [HostileCase] = {
        func content(_ name: String, _ data: @escaping @Sendable (Workspace) throws -> Data, _ mentions: [String]) -> HostileCase {
            HostileCase(group: "images", name: name, setup: { try $0.write("bad.png", try data($0)) },
                        arguments: { _ in try stylize(["--content": "bad.png"]) },
                        expectation: .refused(mentions: ["content", "bad.png"] + mentions))
        }
        return [
            content("truncated PNG", { w in let d = try w.read("content.png"); return d.prefix(d.count / 2) }, []),
            content("PNG cut inside the header", { w in try w.read("content.png").prefix(20) }, []),
            content("PNG with a damaged IDAT byte", { w in
                var d = try w.read("content.png"); d[d.count - 20] ^= 0xFF; return d }, []),
            content("PNG header declaring 100000×100000", { _ in Fixtures.pngHeader(width: 100_000, height: 100_000) }, ["100000"]),
            content("PNG header declaring 2^31-1 × 2^31-1", { _ in Fixtures.pngHeader(width: 0x7FFF_FFFF, height: 0x7FFF_FFFF) }, []),
            content("PNG header declaring 0×0", { _ in Fixtures.pngHeader(width: 0, height: 0) }, []),
            content("PNG signature only", { _ in Data([0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]) }, []),
            content("empty file", { _ in Data() }, ["empty"]),
            content("text named .png", { _ in Data("hello\n".utf8) }, ["neither PNG nor JPEG"]),
            content("truncated JPEG", { w in let d = try w.read("style2.jpg"); return d.prefix(d.count / 2) }, []),
            content("JPEG start marker then garbage", { _ in Data([0xFF, 0xD8, 0xFF] + (0..<200).map { UInt8(($0 * 37) & 0xFF) }) }, []),
            HostileCase(group: "images", name: "1×4000 sliver too thin for VGG-19",
                        setup: { try $0.write("bad.png", try Fixtures.png(Fixtures.picture(width: 1, height: 4000))) },
                        arguments: { _ in try stylize(["--content": "bad.png"]) },
                        // No --size helps: the message names the image and says to crop it (it said "use a larger --size").
                        expectation: .refused(mentions: ["bad.png", "1×4000", "crop it"])),
            HostileCase(group: "images", name: "content is a directory",
                        arguments: { _ in try stylize(["--content": "out"]) },
                        // Named as a directory, with no advice about permissions.
                        expectation: .refused(mentions: ["content", "directory", "PNG or JPEG"])),
            HostileCase(group: "images", name: "content is a FIFO (no hang)",
                        setup: { try $0.fifo("pipe.png") },
                        arguments: { _ in try stylize(["--content": "pipe.png"]) },
                        expectation: .refused(mentions: ["content", "FIFO"])),
            HostileCase(group: "images", name: "content is /dev/zero (no endless read)",
                        arguments: { _ in try stylize(["--content": "/dev/zero"]) },
                        expectation: .refused(mentions: ["content", "character device"])),
            HostileCase(group: "images", name: "style is /dev/null",
                        arguments: { _ in try stylize(["--style": "/dev/null"]) },
                        expectation: .refused(mentions: ["style", "/dev/null"])),
            HostileCase(group: "images", name: "style is a dangling symlink",
                        setup: { try $0.link("gone.png", to: "nowhere.png") },
                        arguments: { _ in try stylize(["--style": "gone.png"]) },
                        expectation: .refused(mentions: ["style", "gone.png"])),
            HostileCase(group: "images", name: "truncated JPEG as the second style",
                        setup: { w in let d = try w.read("style2.jpg"); try w.write("cut.jpg", d.prefix(d.count / 3)) },
                        arguments: { _ in try stylize(extra: ["--style", "cut.jpg"]) },
                        expectation: .refused(mentions: ["style[1]", "cut.jpg"])),
            HostileCase(group: "images", name: "corrupt --init image",
                        setup: { try $0.write("start.png", Data("not an image".utf8)) },
                        arguments: { _ in try stylize(["--init": "start.png"]) },
                        expectation: .refused(mentions: ["init", "start.png"])),
            HostileCase(group: "images", name: "features on a corrupt image",
                        setup: { w in try w.write("bad.png", try w.read("content.png").prefix(40)) },
                        arguments: { _ in ["features", "bad.png", "--size", "32"] },
                        expectation: .refused(mentions: ["bad.png"])),
            HostileCase(group: "images", name: "mask --image on a 0×0 header",
                        setup: { try $0.write("zero.png", Fixtures.pngHeader(width: 0, height: 0)) },
                        arguments: { _ in ["mask", "--image", "zero.png", "--rule", "red: r > 0.5", "--output", "m.png"] },
                        expectation: .refused(mentions: ["zero.png"])),
        ]
    }()

    // MARK: masks

    static let masks: [HostileCase] = [
        HostileCase(group: "masks", name: "content mask of another aspect ratio",
                    setup: { try $0.write("wide.png", try Fixtures.png(Fixtures.labelMap(width: 64, height: 16))) },
                    arguments: { _ in try stylize(["--content-mask": "wide.png", "--style-mask": "style_mask.png"]) },
                    expectation: .refused(mentions: ["content_mask", "wide.png"])),
        HostileCase(group: "masks", name: "truncated content mask",
                    setup: { w in try w.write("cut.png", try w.read("content_mask.png").prefix(50)) },
                    arguments: { _ in try stylize(["--content-mask": "cut.png", "--style-mask": "style_mask.png"]) },
                    expectation: .refused(mentions: ["content_mask", "cut.png"])),
        HostileCase(group: "masks", name: "content mask is a directory",
                    arguments: { _ in try stylize(["--content-mask": "out", "--style-mask": "style_mask.png"]) },
                    expectation: .refused(mentions: ["content_mask", "directory"])),
        HostileCase(group: "masks", name: "style mask is a FIFO (no hang)",
                    setup: { try $0.fifo("pipe.png") },
                    arguments: { _ in try stylize(["--content-mask": "content_mask.png", "--style-mask": "pipe.png"]) },
                    expectation: .refused(mentions: ["style_masks", "FIFO"])),
        HostileCase(group: "masks", name: "two style masks for one style",
                    arguments: { _ in try stylize(["--content-mask": "content_mask.png", "--style-mask": "style_mask.png"],
                                                  extra: ["--style-mask", "style_mask.png"]) },
                    expectation: .refused(mentions: ["style_masks"])),
        HostileCase(group: "masks", name: "content colour no style map has",
                    setup: { w in
                        var image = Fixtures.labelMap(width: 32, height: 32)
                        for i in 0..<(32 * 32) { image.pixels[i] = 0; image.pixels[32 * 32 + i] = 1 }  // all green
                        try w.write("green.png", try Fixtures.png(image))
                    },
                    arguments: { _ in try stylize(["--content-mask": "content_mask.png", "--style-mask": "green.png"]) },
                    expectation: .refused(mentions: ["content_mask", "green.png", "no matching region"])),
        HostileCase(group: "masks", name: "region with style index 99",
                    arguments: { _ in try stylize(["--region": "content-guide=content_mask.png,style=99"]) },
                    expectation: .refused(mentions: ["regions[0].style", "99"])),
        HostileCase(group: "masks", name: "region guide is missing",
                    arguments: { _ in try stylize(["--region": "content-guide=none.png,style=0"]) },
                    expectation: .refused(mentions: ["regions[0]", "none.png"])),
        HostileCase(group: "masks", name: "region weight is NaN",
                    arguments: { _ in try stylize(["--region": "content-guide=content_mask.png,style=0,weight=nan"]) },
                    expectation: .refused(mentions: ["regions[0]", "weight"])),
        HostileCase(group: "masks", name: "content_region_weights is infinite",
                    arguments: { _ in try stylize(["--content-mask": "content_mask.png", "--style-mask": "style_mask.png",
                                                   "--content-region-weights": "red=inf"]) },
                    expectation: .refused(mentions: ["content_region_weights"])),
        HostileCase(group: "masks", name: "masks with a valid tiny run complete",
                    arguments: { _ in try stylize(["--content-mask": "content_mask.png", "--style-mask": "style_mask.png"]) },
                    expectation: .completes(check: decodes("out/result.png", width: 32)), mayChange: ["out/result.png"]),
    ]
}
