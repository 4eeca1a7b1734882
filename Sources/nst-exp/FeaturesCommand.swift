import ArgumentParser
import Foundation
import NSTImage
import NSTExperiments
import NSTNetwork
import NSTTransfer

/// `nst-exp features`: VGG-19 activations of an image, as figures and pictures.
struct FeaturesCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "features",
        abstract: "Extract VGG-19 features of an image: per-layer statistics and mosaics of the most active channels.")

    @Argument(help: "PNG or JPEG image.")
    var image: String

    @Option(help: "Scale the longest side to this many pixels (0 keeps the image's size).")
    var size: Int = 512

    @Option(help: "Comma-separated layers, e.g. relu1_1,relu3_1,relu5_1 (Keras names like block3_conv1 work too).")
    var layers: String = "relu1_1,relu2_1,relu3_1,relu4_1,relu5_1"

    @Option(help: "Pooling between blocks: max or average.")
    var pooling: Pooling = .max

    @Option(help: "Folder for <layer>.png mosaics and features.json (nothing is written if omitted).")
    var output: String?

    func run() throws {
        let names = try layers.split(separator: ",").map { try LayerName(String($0)) }
        guard !names.isEmpty else { throw ValidationError("--layers is empty; give e.g. relu1_1,relu3_1") }
        guard (0...ImageIO.maxSide).contains(size) else {
            throw ValidationError("--size \(size) is outside 0...\(ImageIO.maxSide) (0 keeps the image's size)")
        }
        if size > 0, let problem = RunLimits.sideProblem(size, option: "--size") { throw ValidationError(problem) }
        if let output {
            // The files it writes: <layer>.png per layer and features.json; none may be the image it reads.
            let folder = URL(fileURLWithPath: output)
            let files = names.map { (role: "the \($0) mosaic", path: folder.appendingPathComponent("\($0).png").path) }
                + [(role: "features.json", path: folder.appendingPathComponent("features.json").path)]
            try refuseCollision(inputs: [(role: "the image", path: image)], outputs: files, writing: "it")
            try FileIO.makeFolder(output)
            try refuseUnwritable(files)
        }
        let network = VGG19(weights: try VGGWeights.loadInstalled(), pooling: pooling)
        let summaries = try FeatureExtraction.run(image: URL(fileURLWithPath: image), size: size > 0 ? size : nil,
                                                  layers: names, network: network,
                                                  output: output.map { URL(fileURLWithPath: $0) })
        for s in summaries {
            print(String(format: "%-8@ %4d×%4d×%4d  mean %8.3f  max %9.3f  active %5.1f%%",
                         s.layer, s.channels, s.height, s.width, s.mean, s.max, 100 * s.activeFraction))
        }
        if let output { print("wrote \(summaries.count) mosaics and features.json to \(output)") }
    }
}

extension Pooling: ExpressibleByArgument {}
