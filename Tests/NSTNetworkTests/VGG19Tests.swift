import Testing
@testable import NSTNetwork
import NSTImage
import NSTTensor
import NSTTestSupport

func layer(_ s: String) -> LayerName { (try? LayerName(s)) ?? LayerName.all[0] }

func randomMap(_ c: Int, _ h: Int, _ w: Int, seed: UInt64, scale: Float = 1) -> FeatureMap {
    var rng = SplitMix64(seed: seed)
    return FeatureMap(channels: c, height: h, width: w, data: (0..<(c * h * w)).map { _ in (rng.nextUnitFloat() * 2 - 1) * scale })
}

@Suite struct LayerNameTests {
    @Test func parsesCanonicalNamesAndKerasAliases() throws {
        #expect(try LayerName("relu4_2").description == "relu4_2")
        #expect(try LayerName("block4_conv2") == LayerName("conv4_2"))
        #expect(try LayerName("block3_pool") == LayerName("pool3"))
        #expect(try LayerName("RELU1_1").description == "relu1_1")
        #expect(LayerName.all.count == 16 * 2 + 5)
        #expect(LayerName.all == LayerName.all.sorted())
    }

    @Test func unknownNamesSuggestTheNearest() {
        #expect(throws: NetworkError.unknownLayer(name: "relu4_9", suggestion: "relu4_1")) { try LayerName("relu4_9") }
        #expect(throws: NetworkError.self) { try LayerName("conv6_1") }
        #expect(throws: NetworkError.self) { try LayerName("block2_conv3") }
    }

    @Test func tooSmallInputsAreRejectedBeforeWork() {
        #expect(throws: NetworkError.self) { try VGG19.validate(width: 8, height: 64, layers: [layer("relu5_1")]) }
        #expect(throws: Never.self) { try VGG19.validate(width: 16, height: 16, layers: [layer("relu5_1")]) }
    }
}

@Suite struct VGG19Tests {
    /// A narrow network (1/16 of the channels) keeps finite differences cheap.
    let net = VGG19(weights: .random(seed: 3, widthDivisor: 16))

    @Test func forwardReturnsRequestedShapesAndConvIsPreReLU() {
        let x = randomMap(3, 20, 18, seed: 1, scale: 100)
        let f = net.forward(x, layers: [layer("conv1_1"), layer("relu1_1"), layer("pool2"), layer("relu5_1")])
        #expect(f[layer("relu1_1")].map { [$0.channels, $0.height, $0.width] } == [4, 20, 18])
        #expect(f[layer("pool2")].map { [$0.channels, $0.height, $0.width] } == [8, 5, 4])
        #expect(f[layer("relu5_1")].map { [$0.channels, $0.height, $0.width] } == [32, 1, 1])
        let conv = f[layer("conv1_1")]?.data ?? [], relu = f[layer("relu1_1")]?.data ?? []
        #expect(conv.contains { $0 < 0 })
        #expect(relu == conv.map { max($0, 0) })
    }

    @Test func forwardMatchesReferenceKernels() {
        let x = randomMap(3, 12, 10, seed: 2, scale: 50)
        let fast = net.forward(x, layers: [layer("relu2_1")])[layer("relu2_1")]?.data ?? []
        // Same chain with the naive kernels.
        var cur = x
        for (name, pool) in [("conv1_1", false), ("conv1_2", false), ("", true), ("conv2_1", false)] {
            if pool {
                var y = FeatureMap(channels: cur.channels, height: cur.height / 2, width: cur.width / 2)
                y.data.withUnsafeMutableBufferPointer {
                    Pool2x2.forwardReference(.max, x: cur.data, channels: cur.channels, height: cur.height, width: cur.width, y: $0.baseAddress!)
                }
                cur = y
                continue
            }
            guard let w = net.steps.compactMap({ if case .conv(let l) = $0, l.name == name { return l.weights } else { return nil } }).first else {
                Issue.record("no \(name)"); return
            }
            var y = FeatureMap(channels: w.outChannels, height: cur.height, width: cur.width)
            y.data.withUnsafeMutableBufferPointer {
                Conv3x3.forwardReference(x: cur.data, inChannels: w.inChannels, height: cur.height, width: cur.width,
                                         weight: w.weight, bias: w.bias, outChannels: w.outChannels, relu: true, y: $0.baseAddress!)
            }
            cur = y
        }
        let scale = cur.data.map(abs).max() ?? 1
        #expect(zip(fast, cur.data).allSatisfy { abs($0 - $1) <= 1e-5 * scale })
    }

    /// L = Σ_l ⟨r_l, F_l(x)⟩ over several layers (conv, relu and pool, sharing the trunk):
    /// backward(r) must match central differences of L.
    @Test(arguments: [Pooling.max, .average])
    func backwardMatchesFiniteDifferences(_ pooling: Pooling) {
        let net = VGG19(weights: .random(seed: 5, widthDivisor: 16), pooling: pooling)
        net.convKernel = .im2col   // finite differences need an exact forward; the Winograd kernels are checked below
        let x = randomMap(3, 16, 16, seed: 6, scale: 20)
        let layers = [layer("relu1_1"), layer("conv2_2"), layer("pool2"), layer("relu3_1"), layer("relu5_1")]
        let feats = net.forward(x, layers: layers)
        var r: [LayerName: FeatureMap] = [:]
        for (i, l) in layers.enumerated() {
            guard let f = feats[l] else { Issue.record("missing \(l)"); return }
            r[l] = randomMap(f.channels, f.height, f.width, seed: 100 + UInt64(i))
        }
        let grad = net.backward(r)
        func loss(_ x: FeatureMap) -> Double {
            let f = net.forward(x, layers: layers)
            return layers.reduce(0.0) { acc, l in
                acc + zip(f[l]?.data ?? [], r[l]?.data ?? []).reduce(0.0) { $0 + Double($1.0) * Double($1.1) }
            }
        }
        // Central differences at two step sizes; where they disagree a ReLU or max-pool kink lies in between
        // and the point is skipped (at most a few of the 40 may be).
        func fd(_ i: Int, _ eps: Float) -> Double {
            var xp = x, xm = x
            xp.data[i] += eps; xm.data[i] -= eps
            return (loss(xp) - loss(xm)) / Double(2 * eps)
        }
        var checked = 0
        var rng = SplitMix64(seed: 7)
        for _ in 0..<40 {
            let i = Int(rng.next() % UInt64(x.count))
            let a = fd(i, 2e-2), b = fd(i, 5e-3)
            if abs(a - b) > 1e-2 * max(1, abs(a)) { continue }
            let g = Double(grad.data[i])
            #expect(abs(a - g) <= 1e-2 * max(1, abs(a)), "x[\(i)]: fd \(a) vs backward \(g)")
            checked += 1
        }
        #expect(checked >= 34)
    }

    /// The Winograd backward against the im2col one, on gradients given at relu, conv (pre-activation) and pool
    /// layers: a wrong mask or layer would be off by O(1), F(4×4) rounding by about 1e-3.
    @Test(arguments: [ConvKernel.winograd2, .winograd4], [Pooling.max, .average])
    func winogradBackwardMatchesIm2col(_ kernel: ConvKernel, _ pooling: Pooling) {
        let weights = VGGWeights.random(seed: 9, widthDivisor: 8)
        let x = randomMap(3, 70, 66, seed: 10, scale: 40)
        let layers = [layer("relu1_1"), layer("conv2_2"), layer("pool2"), layer("relu3_1"), layer("relu4_2"), layer("relu5_1")]
        func gradient(_ k: ConvKernel) -> [Float] {
            let net = VGG19(weights: weights, pooling: pooling)
            net.convKernel = k
            let feats = net.forward(x, layers: layers)
            var r: [LayerName: FeatureMap] = [:]
            for (i, l) in layers.enumerated() {
                guard let f = feats[l] else { return [] }
                r[l] = randomMap(f.channels, f.height, f.width, seed: 200 + UInt64(i))
            }
            return net.backward(r).data
        }
        let fast = gradient(kernel), reference = gradient(.im2col)
        #expect(fast.count == reference.count && !reference.isEmpty)
        let diff = zip(fast, reference).reduce(0.0) { $0 + Double($1.0 - $1.1) * Double($1.0 - $1.1) }
        let norm = reference.reduce(0.0) { $0 + Double($1) * Double($1) }
        #expect(norm > 0 && (diff / norm).squareRoot() < (kernel == .winograd2 ? 1e-4 : 1e-2))
    }

    @Test func backwardFromAShallowLayerSkipsTheRest() {
        let x = randomMap(3, 16, 16, seed: 8, scale: 20)
        let f = net.forward(x, layers: [layer("relu1_2"), layer("relu5_1")])
        guard let f12 = f[layer("relu1_2")] else { Issue.record("missing"); return }
        let g1 = net.backward([layer("relu1_2"): f12])
        #expect(g1.data.contains { $0 != 0 })
        #expect(g1.channels == 3 && g1.height == 16 && g1.width == 16)
    }

    @Test func inputConventionRoundTrips() {
        var img = Image(width: 4, height: 3, channels: 3)
        for i in img.pixels.indices { img.pixels[i] = Float(i % 11) / 10 }
        let x = VGGInput.fromImage(img)
        // Red plane of the image is the last (R) channel of the network input: 255·r − 123.68.
        #expect(abs(x[2, 0, 0] - (img[0, 0, 0] * 255 - 123.68)) < 1e-4)
        let back = VGGInput.toImage(x)
        #expect(zip(back.pixels, img.pixels).allSatisfy { abs($0 - $1) < 1e-5 })
        let grey = VGGInput.fromImage(Image(width: 2, height: 2, channels: 1, pixels: [0, 1, 0.5, 0.25]))
        #expect(grey.channels == 3 && abs(grey[0, 0, 1] - (255 - 103.939)) < 1e-3)
    }
}

@Suite struct TooSmallInputTests {
    /// A 6×6 input has no positions left after pool3; asking for relu5_1 must return empty maps, not trap.
    @Test(arguments: ConvKernel.allCases)
    func inputsSmallerThanTheDeepestLayerGiveEmptyMaps(_ kernel: ConvKernel) {
        let net = VGG19(weights: .random(seed: 9, widthDivisor: 16))
        net.convKernel = kernel
        let x = randomMap(3, 6, 6, seed: 10, scale: 10)
        let f = net.forward(x, layers: [layer("relu1_1"), layer("relu5_1")])
        #expect(f[layer("relu5_1")]?.count == 0)
        #expect(f[layer("relu1_1")]?.count == 4 * 36)
        let g = net.backward([layer("relu1_1"): f[layer("relu1_1")] ?? x])
        #expect(g.count == 3 * 36)
    }
}
