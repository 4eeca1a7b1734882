import Foundation
import NSTImage
import NSTNetwork
import NSTTensor

/// Times the 3×3 convolution kernels on VGG-19's layer shapes, one layer at a time: banded im2col + SGEMM
/// (`Conv3x3`) against Winograd (`Winograd3x3`), forward (bias + ReLU) and backward to the input, in
/// process CPU seconds (robust to other load) and wall seconds, with each Winograd result's error
/// relative to the im2col result.
public struct ConvKernelBenchmark {
    /// One layer shape: channels in and out, square side.
    public struct Shape: Codable, Sendable {
        public var inChannels: Int
        public var outChannels: Int
        public var side: Int
        public init(inChannels: Int, outChannels: Int, side: Int) {
            self.inChannels = inChannels; self.outChannels = outChannels; self.side = side
        }
    }

    /// Per-call figures of one kernel on one shape.
    public struct Timing: Codable, Sendable {
        public var method: String
        public var forwardCPU: Double
        public var backwardCPU: Double
        public var forwardWall: Double
        public var backwardWall: Double
        /// max |a − b| / max |b| against the im2col result (0 for im2col itself).
        public var forwardError: Float
        public var backwardError: Float
    }

    /// All kernels' figures for one shape.
    public struct Row: Codable, Sendable {
        public var shape: Shape
        public var timings: [Timing]
    }

    /// VGG-19's distinct 3×3 shapes above conv1_1 for a `size`×`size` input.
    public static func vggShapes(size: Int) -> [Shape] {
        [(64, 64, 1), (128, 128, 2), (256, 256, 4), (512, 512, 8), (512, 512, 16)].map {
            Shape(inChannels: $0.0, outChannels: $0.1, side: max(1, size / $0.2))
        }
    }

    public var shapes: [Shape]
    public var repeats: Int

    /// A benchmark over `shapes`, `repeats` timed calls per kernel after one warm-up.
    public init(shapes: [Shape], repeats: Int = 3) {
        self.shapes = shapes
        self.repeats = repeats
    }

    /// Runs every shape with seeded random data of unit scale.
    public func run() throws -> [Row] {
        try shapes.map { try run($0) }
    }

    func run(_ s: Shape) throws -> Row {
        var rng = SplitMix64(seed: 7)
        let (cin, cout, side) = (s.inChannels, s.outChannels, s.side)
        let x = (0..<(cin * side * side)).map { _ in rng.nextUnitFloat() * 2 - 1 }
        let dy = (0..<(cout * side * side)).map { _ in rng.nextUnitFloat() * 2 - 1 }
        // He-scaled weights keep activations at unit scale, as in a trained network.
        let scale = (2 / Float(cin * 9)).squareRoot()
        let weight = (0..<(cout * cin * 9)).map { _ in (rng.nextUnitFloat() * 2 - 1) * scale }
        let bias = (0..<cout).map { _ in rng.nextUnitFloat() * 0.1 }
        let flipped = Conv3x3.flippedTransposed(weight, outChannels: cout, inChannels: cin)
        let scratch = ConvScratch()
        var y = [Float](repeating: 0, count: cout * side * side)
        var dx = [Float](repeating: 0, count: cin * side * side)

        func timed(_ body: () -> Void) -> (cpu: Double, wall: Double) {
            body()
            let c0 = ProcessStats.cpuSeconds(), t0 = DispatchTime.now().uptimeNanoseconds
            for _ in 0..<repeats { body() }
            let n = Double(repeats)
            return ((ProcessStats.cpuSeconds() - c0) / n, Double(DispatchTime.now().uptimeNanoseconds - t0) / 1e9 / n)
        }
        let im2colForward = timed {
            y.withUnsafeMutableBufferPointer { yp in
                Conv3x3.forward(x: x, inChannels: cin, height: side, width: side, weight: weight, bias: bias,
                                outChannels: cout, relu: true, y: yp.baseAddress!, scratch: scratch)
            }
        }
        let yRef = y
        let im2colBackward = timed {
            dx.withUnsafeMutableBufferPointer { dp in
                Conv3x3.forward(x: dy, inChannels: cout, height: side, width: side, weight: flipped, bias: nil,
                                outChannels: cin, relu: false, y: dp.baseAddress!, scratch: scratch)
            }
        }
        let dxRef = dx
        var rows = [Timing(method: "im2col", forwardCPU: im2colForward.cpu, backwardCPU: im2colBackward.cpu,
                           forwardWall: im2colForward.wall, backwardWall: im2colBackward.wall,
                           forwardError: 0, backwardError: 0)]
        for tile in WinogradTile.allCases {
            let winograd = try WinogradWeights(weight: weight, outChannels: cout, inChannels: cin, tile: tile)
            let forward = timed {
                y.withUnsafeMutableBufferPointer { yp in
                    Winograd3x3.forward(x: x, height: side, width: side, weights: winograd, transposed: false,
                                        bias: bias, relu: true, y: yp.baseAddress!, scratch: scratch)
                }
            }
            let backward = timed {
                dx.withUnsafeMutableBufferPointer { dp in
                    Winograd3x3.forward(x: dy, height: side, width: side, weights: winograd, transposed: true,
                                        bias: nil, relu: false, y: dp.baseAddress!, scratch: scratch)
                }
            }
            rows.append(Timing(method: "winograd-\(tile)", forwardCPU: forward.cpu, backwardCPU: backward.cpu,
                               forwardWall: forward.wall, backwardWall: backward.wall,
                               forwardError: ConvKernelBenchmark.relativeError(y, yRef),
                               backwardError: ConvKernelBenchmark.relativeError(dx, dxRef)))
        }
        return Row(shape: s, timings: rows)
    }

    /// max |a − b| / max |b|.
    public static func relativeError(_ a: [Float], _ b: [Float]) -> Float {
        let scale = max(b.reduce(0) { max($0, abs($1)) }, .leastNormalMagnitude)
        return zip(a, b).reduce(0) { max($0, abs($1.0 - $1.1)) } / scale
    }
}

/// How far the Winograd kernels move VGG-19's outputs on a real image: features at the benchmark layers
/// and the input gradient of the benchmark's backward, each against the im2col network.
public enum ConvKernelAccuracy {
    /// One kernel's error at one output: max |a − b| / max |b|, and ‖a − b‖₂ / ‖b‖₂ (a near-tie in a max
    /// pool or a unit at the ReLU kink can reroute one gradient value, which the max norm shows in full).
    public struct Row: Codable, Sendable {
        public var kernel: String
        public var output: String
        public var relativeError: Float
        public var relativeL2Error: Double
    }

    /// Loads `image`, scales its longest side to `size`, and compares every kernel with im2col.
    public static func run(weights: VGGWeights, image: URL, size: Int) throws -> [Row] {
        let picture = try ImageIO.load(image).resized(longestSide: size)
        let layers = NetworkBenchmark.layers
        try VGG19.validate(width: picture.width, height: picture.height, layers: layers)
        let input = VGGInput.fromImage(picture)
        let net = VGG19(weights: weights)
        func outputs(_ kernel: ConvKernel) -> (features: [LayerName: FeatureMap], gradient: FeatureMap) {
            net.convKernel = kernel
            let features = net.forward(input, layers: layers)
            return (features, net.backward(features))
        }
        let reference = outputs(.im2col)
        var rows: [Row] = []
        for kernel in ConvKernel.allCases where kernel != .im2col {
            let result = outputs(kernel)
            for layer in layers {
                guard let a = result.features[layer], let b = reference.features[layer] else { continue }
                rows.append(row(kernel, layer.description, a.data, b.data))
            }
            rows.append(row(kernel, "input gradient", result.gradient.data, reference.gradient.data))
        }
        return rows
    }

    static func row(_ kernel: ConvKernel, _ output: String, _ a: [Float], _ b: [Float]) -> Row {
        Row(kernel: kernel.rawValue, output: output, relativeError: ConvKernelBenchmark.relativeError(a, b),
            relativeL2Error: relativeL2Error(a, b))
    }

    /// ‖a − b‖₂ / ‖b‖₂, summed in Double (b = 0 gives the difference over the smallest normal Double).
    static func relativeL2Error(_ a: [Float], _ b: [Float]) -> Double {
        var diff = 0.0, norm = 0.0
        for (x, y) in zip(a, b) {
            diff += Double(x - y) * Double(x - y)
            norm += Double(y) * Double(y)
        }
        return (diff / max(norm, .leastNormalMagnitude)).squareRoot()
    }
}
