import Foundation
import NSTImage
import NSTNetwork

/// Upper bounds of every numeric run-configuration key, the run's memory estimate, and the paths a run reads and
/// writes (for refusing collisions). Checked by `RunConfiguration.plan()` before any work starts, so that a huge
/// value is an error naming its key instead of a failed allocation, a hang or (release builds use -Ounchecked, where
/// integer arithmetic wraps) an overflow.
public enum RunLimits {
    /// Longest side of the content (`size`, each of `scales`) and of a style image after `style_scale`.
    public static let maxSide = ImageIO.maxSide
    /// `pixel_count`: the decoders' own limit.
    public static let maxPixelCount = ImageIO.maxPixelCount
    /// `style_scale`: a style image's side relative to the content's (the resulting side is checked against maxSide).
    public static let maxStyleScale: Float = 64
    /// `iterations`, each of `iterations_per_scale`, and their total; also `save_every` and `print_every`.
    public static let maxIterations = 10_000_000
    /// Entries of `scales`.
    public static let maxScales = 16
    /// `lbfgs_history` pairs.
    public static let maxLBFGSHistory = 10_000
    /// `lbfgs_history_mib`: 16 TiB, i.e. only the machine's memory limits the history.
    public static let maxLBFGSHistoryMiB = 1 << 24
    /// `learning_rate`.
    public static let maxLearningRate: Float = 1e6
    /// |`erosion`| in positions: at relu1_1 a position is a pixel, and any larger erosion erases every region.
    public static let maxErosion = 256
    /// `feather_radius` in pixels at the working size.
    public static let maxFeatherRadius = 1024.0
    /// `guided_filter_radius` in pixels: building the filter costs O(pixels · r²).
    public static let maxGuidedFilterRadius = 16
    /// The smallest ridge ε of the guided filter and the matting Laplacian (images in [0, 1]): below it the ridge is
    /// lost in the float rounding of the windows' variances (at 1e-14 the matting energy of a 64 × 40 pair already
    /// drifts by 0.2 %, at 1e-20 it is NaN; the guided filter turned 80 % of the pixels black at 1e-30).
    public static let minimumEpsilon = 1e-12
    /// Entries of `regions` and of `style`.
    public static let maxRegions = 256, maxStyles = 64

    // MARK: memory

    /// Bytes a run holds at its peak besides the images and the L-BFGS history: the VGG-19 weights, their Winograd
    /// transforms, the thread pool and the process itself.
    ///
    /// Calibrated on `nst-exp bench --step` (default run: five style layers, relu4_2 content; 2 threads, AMD EPYC
    /// Zen 4, OpenBLAS): peak RSS 413 MiB at 256×256 and 517 MiB at 512×512 (≈ 555 bytes per pixel between them,
    /// with a nearly empty history), and 5.0 GiB at 2048×2048 with 8 history pairs (768 MiB) full, where the per-pixel
    /// cost is ≈ 960 bytes (per-pass Winograd transforms and the style image's features at the same size). The
    /// estimate uses the larger slope, so it is an upper bound at small sizes and close at large ones.
    public static let baseBytes = 380 << 20
    /// Bytes per content (or style) pixel at the working size: activations kept for the backward pass, the VGG19
    /// work buffers (64 channels at full resolution for the relu1_1 gradient, a quarter of that below), Winograd
    /// tiles, gradients and the optimizer's vectors (see `baseBytes` for the calibration).
    public static let bytesPerPixel = 960

    /// The peak resident memory of a run, in parts.
    public struct MemoryEstimate: Sendable, CustomStringConvertible {
        /// Largest stage, content size.
        public var width: Int, height: Int
        public var network: Int
        public var history: Int
        public var images: Int
        public var total: Int { network + history + images }

        public var description: String {
            "about \(RunLimits.format(total)) at \(width)×\(height) (network \(RunLimits.format(network)), "
                + "L-BFGS history \(RunLimits.format(history)), decoded images \(RunLimits.format(images)))"
        }
    }

    /// nil when one VGG-19 pass over an image of longest side `side` (a square, the worst case) fits the machine;
    /// else why not, naming `option` (`placement`, `boundary`, `photorealism` and `bench` at `--size`: these refuse
    /// it before any work instead of aborting on a failed allocation).
    public static func sideProblem(_ side: Int, option: String, available: Int = machineMemory) -> String? {
        guard side <= maxSide else { return "\(option) \(side) is larger than \(maxSide), the largest image side accepted" }
        let bytes = baseBytes + bytesPerPixel * side * side
        guard bytes <= available else {
            return "\(option) \(side) needs about \(format(bytes)) at \(side)×\(side) but this machine has \(format(available)); use a smaller \(option)"
        }
        return nil
    }

    /// "1.2 GiB" / "512 MiB".
    public static func format(_ bytes: Int) -> String {
        let mib = Double(bytes) / Double(1 << 20)
        return mib >= 1024 ? String(format: "%.1f GiB", mib / 1024) : String(format: "%.0f MiB", mib)
    }

    /// Physical memory, or the cgroup's memory limit when lower (containers, Slurm jobs).
    public static var machineMemory: Int {
        let pages = Int(sysconf(Int32(_SC_PHYS_PAGES))), pageSize = Int(sysconf(Int32(_SC_PAGESIZE)))
        var bytes = pages > 0 && pageSize > 0 ? pages.multipliedReportingOverflow(by: pageSize).partialValue : Int.max
        for file in ["/sys/fs/cgroup/memory.max", "/sys/fs/cgroup/memory/memory.limit_in_bytes"] {
            if let data = try? FileIO.read(file, limit: 4096),
               let limit = Int(String(decoding: data, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)),
               limit > 0 {
                bytes = min(bytes, limit)
            }
        }
        return bytes
    }
}

extension RunConfiguration {
    /// Checks every numeric key against `RunLimits` (before any size arithmetic that could overflow): each key's own
    /// check (`RunConfiguration.table`), then the bounds that involve several keys or list entries.
    func checkBounds() throws {
        func bound<T: Comparable>(_ value: T, _ range: ClosedRange<T>, _ key: String, _ hint: String) throws {
            guard range.contains(value) else {
                throw ConfigurationError.invalidValue(key: key, value: "\(value)", hint: "\(hint) (allowed \(range.lowerBound)…\(range.upperBound))")
            }
        }
        try checkKeys()
        try bound(scales.count, 0...RunLimits.maxScales, "scales", "number of scales")
        for (i, side) in scales.enumerated() {
            try bound(side, 16...RunLimits.maxSide, "scales[\(i)]", "a longest side in pixels")
        }
        for (i, n) in (iterationsPerScale ?? []).enumerated() {
            try bound(n, 0...RunLimits.maxIterations, "iterations_per_scale[\(i)]", "iterations at that scale")
        }
        let total = scheduledIterations.reduce(0) { $0 + min($1, RunLimits.maxIterations) }
        try bound(total, 0...RunLimits.maxIterations, scales.isEmpty ? "iterations" : "iterations_per_scale",
                  "total iterations over all scales")
        try bound(style.count, 0...RunLimits.maxStyles, "style", "number of style images")
        try bound(regions.count, 0...RunLimits.maxRegions, "regions", "number of regions")
    }

    /// Matting Laplacians of the content a run holds at once at its peak: one for the photorealism term (for the
    /// whole stage) and one for the guided filter (while it saves an image).
    public var mattingLaplacians: Int {
        (value(of: PhotorealismTerm.weight) > 0 ? 1 : 0) + (guidedFilterRadius > 0 ? 1 : 0)
    }

    /// The run's peak memory (see `RunLimits.bytesPerPixel`): the network at the largest stage (content or style
    /// image, whichever is larger) with the matting Laplacians of the photorealism term and the guided filter, the
    /// L-BFGS history that stage keeps, and every decoded input image.
    func memoryEstimate(stages: [RunPlan.Stage], styles: [Image], images: [Image]) -> RunLimits.MemoryEstimate {
        var estimate = RunLimits.MemoryEstimate(width: 0, height: 0, network: 0, history: 0, images: 0)
        for stage in stages {
            let contentPixels = stage.width * stage.height
            let stylePixels = styles.map { style -> Int in
                let (w, h) = RunConfiguration.scaledSize(width: style.width, height: style.height,
                                                         longestSide: stage.styleLongestSide, pixelCount: nil)
                return w * h
            }.max() ?? 0
            let network = RunLimits.baseBytes + RunLimits.bytesPerPixel * max(contentPixels, stylePixels)
                + mattingLaplacians * MattingLaplacian.bytesPerPixel * contentPixels
            let variables = 3 * contentPixels
            let history = optimizer == .lbfgs
                ? effectiveLBFGSHistory(variables: variables) * LBFGS.bytesPerPair(variables: variables) : 0
            if network + history > estimate.network + estimate.history {
                estimate.width = stage.width
                estimate.height = stage.height
                estimate.network = network
                estimate.history = history
            }
        }
        estimate.images = images.reduce(0) { $0 + $1.width * $1.height * 3 * MemoryLayout<Float>.size }
        return estimate
    }

    /// Refuses a run whose estimate exceeds the machine's memory, naming the size key, the estimate and the memory.
    func checkMemory(stages: [RunPlan.Stage], styles: [Image], images: [Image], available: Int = RunLimits.machineMemory) throws {
        let estimate = memoryEstimate(stages: stages, styles: styles, images: images)
        guard estimate.total > available else { return }
        let key = !scales.isEmpty ? "scales" : pixelCount != nil ? "pixel_count" : "size"
        let value = !scales.isEmpty ? "\(scales)" : "\(pixelCount ?? size)"
        throw ConfigurationError.invalidValue(key: key, value: value,
            hint: "the run needs \(estimate) but this machine has \(RunLimits.format(available)); "
                + "use a smaller \(key)\(estimate.history > estimate.network / 4 ? " or a lower lbfgs_history_mib" : "")")
    }

    /// Foundation refuses a whole document, without naming the key, when an integer key holds a fraction or a
    /// number beyond 64 bits; this names the key and the value.
    static func integerProblem(in data: Data) -> ConfigurationError? {
        guard let object = try? JSONSerialization.jsonObject(with: data) as? [String: Any] else { return nil }
        for key in object.keys.sorted() where integerKeys.contains(key) {
            let values: [(String, Any)] = (object[key] as? [Any]).map { list in list.enumerated().map { ("\(key)[\($0)]", $1) } }
                ?? [(key, object[key] as Any)]
            for (path, value) in values {
                guard let number = value as? NSNumber else { continue }
                let double = number.doubleValue
                if double.rounded() != double || abs(double) >= 9.2e18 {
                    return .malformed(path: path, detail: "expected an integer, found \(number) "
                        + (abs(double) >= 9.2e18 ? "(beyond the 64-bit range)" : "(a fraction)"))
                }
            }
        }
        return nil
    }

    /// The first number (at any depth) a 32-bit float cannot hold, when decoding failed: Foundation then reports
    /// only "The given data was not valid JSON" for a valid document (`"style_weight": 1e39` or `1e-50`).
    static func floatProblem(in data: Data) -> ConfigurationError? {
        guard let root = try? JSONSerialization.jsonObject(with: data) else { return nil }
        func scan(_ value: Any, _ path: String) -> ConfigurationError? {
            if let object = value as? [String: Any] {
                for key in object.keys.sorted() {
                    if let problem = scan(object[key] as Any, path.isEmpty ? key : "\(path).\(key)") { return problem }
                }
            } else if let list = value as? [Any] {
                for (i, item) in list.enumerated() { if let problem = scan(item, "\(path)[\(i)]") { return problem } }
            } else if let number = value as? NSNumber, !(value is Bool) {
                let magnitude = abs(number.doubleValue)
                if magnitude > Double(Float.greatestFiniteMagnitude) || (magnitude > 0 && magnitude < Double(Float.leastNonzeroMagnitude)) {
                    return .malformed(path: path, detail: "\(number) is outside what a 32-bit float holds (about 1.4e-45 to 3.4e38 "
                        + "in magnitude, or 0)")
                }
            }
            return nil
        }
        return scan(root, "")
    }

    // MARK: paths

    /// Every file the run reads, with its key.
    public var inputPaths: [(role: String, path: String)] {
        var paths: [(String, String)] = []
        if let content { paths.append(("content", content)) }
        for (i, path) in style.enumerated() { paths.append((style.count == 1 ? "style" : "style[\(i)]", path)) }
        if case .image(let path) = initialization { paths.append(("init", path)) }
        paths.append(("weights", weights ?? VGGWeights.defaultURL.path))
        if let contentMask { paths.append(("content_mask", contentMask)) }
        for (i, path) in styleMasks.enumerated() { if let path { paths.append(("style_masks[\(i)]", path)) } }
        for (i, region) in regions.enumerated() {
            if let path = region.contentGuide { paths.append(("regions[\(i)].content_guide", path)) }
            if let path = region.styleGuide { paths.append(("regions[\(i)].style_guide", path)) }
        }
        return paths
    }

    /// Every file the run writes, with its key (snapshots are matched by name in `checkCollisions`).
    public var outputPaths: [(role: String, path: String)] {
        var paths = [("output", output)] + (log.map { [("log", $0)] } ?? [])
        if autoMasks != nil {
            let maps = RunConfiguration.autoMaskPaths(output: output)
            paths += [("output (its auto_masks content map)", maps.content), ("output (its auto_masks style map)", maps.style)]
        }
        return paths
    }

    /// Refuses, before any work, an output that is also an input or another output (same file after resolving
    /// links, or the same inode through a hard link), including the snapshots `<output stem>_<N>.<ext>` that
    /// `save_every` writes. `otherInputs` adds files read outside the configuration (such as `--config`).
    public func checkCollisions(otherInputs: [(role: String, path: String)] = []) throws {
        let inputs = inputPaths + otherInputs
        if let collision = FileIO.firstCollision(inputs: inputs, outputs: outputPaths) {
            throw ConfigurationError.collision(first: collision.first, firstPath: collision.firstPath,
                                               second: collision.second, secondPath: collision.secondPath)
        }
        guard saveEvery > 0 else { return }
        let total = scheduledIterations.reduce(0, +)
        let outputURL = URL(fileURLWithPath: output)
        // The folder open(2) writes into (`FileIO.target`: `missing/..` is not dropped as text).
        let folder = FileIO.target(output).map { URL(fileURLWithPath: $0).deletingLastPathComponent().path }
            ?? FileIO.resolved(outputURL.deletingLastPathComponent().path)
        let stem = outputURL.deletingPathExtension().lastPathComponent + "_", ext = "." + outputURL.pathExtension
        for (role, path) in inputs + (log.map { [("log", $0)] } ?? []) {
            let resolved = URL(fileURLWithPath: FileIO.resolved(path))
            let name = resolved.lastPathComponent
            guard FileIO.resolved(resolved.deletingLastPathComponent().path) == folder,
                  name.hasPrefix(stem), name.hasSuffix(ext),
                  let n = Int(name.dropFirst(stem.count).dropLast(ext.count)),
                  n > 0, n % saveEvery == 0, n < total else { continue }
            throw ConfigurationError.collision(first: "snapshot (save_every \(saveEvery))", firstPath: resolved.path,
                                               second: role, secondPath: path)
        }
    }
}
