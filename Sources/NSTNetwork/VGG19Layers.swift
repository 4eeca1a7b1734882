import NSTTensor

/// The network's steps: each conv layer with its weights in the forms the kernels take, and each pool.
extension VGG19 {
    /// One conv+ReLU or pool step, in network order.
    enum Step {
        case conv(ConvLayer)
        case pool(block: Int)
    }

    final class ConvLayer {
        let name: String
        let block: Int
        let index: Int
        let weights: ConvWeights
        /// Weights for the backward pass (transposed and flipped), made on first use.
        lazy var backwardWeights: [Float] = Conv3x3.flippedTransposed(
            weights.weight, outChannels: weights.outChannels, inChannels: weights.inChannels)
        /// Winograd weights for the selected tile and the last pass size (`winogradWeights(for:height:width:)`).
        var winograd: WinogradWeights?
        init(name: String, block: Int, index: Int, weights: ConvWeights) {
            self.name = name; self.block = block; self.index = index; self.weights = weights
        }

        /// Whether a Winograd kernel applies to this layer: not conv1_1, where with Cin = 3 the im2col GEMM is
        /// already wide and the transforms would dominate.
        var takesWinograd: Bool { weights.inChannels > 3 }

        /// Weights for `kernel` if it is a Winograd kernel and this layer takes it, for a pass whose input
        /// is h×w: U kept, or transformed per pass on large maps of wide layers (`WinogradWeights.transformsPerPass`),
        /// in which case a kept U is released.
        func winogradWeights(for kernel: ConvKernel, height h: Int, width w: Int) -> WinogradWeights? {
            guard takesWinograd, let tile = kernel.winogradTile(inChannels: weights.inChannels,
                                                                outChannels: weights.outChannels, height: h, width: w)
            else { return nil }
            let perPass = WinogradWeights.transformsPerPass(tile, outChannels: weights.outChannels,
                                                        inChannels: weights.inChannels, height: h, width: w)
            if let wg = winograd, wg.tile == tile, wg.perPass == perPass { return wg }
            winograd = try? WinogradWeights(weight: weights.weight, outChannels: weights.outChannels,
                                            inChannels: weights.inChannels, tile: tile, perPass: perPass)
            return winograd
        }
    }

    /// The Winograd tile each conv layer takes under `convKernel` at the last input size (nil: im2col), in
    /// network order.
    var layerWinogradTiles: [WinogradTile?] {
        zip(steps.indices, steps).compactMap { s, step -> WinogradTile?? in
            guard case .conv(let l) = step else { return nil }
            let input = s == 0 || shapes.count != steps.count ? (h: inputShape.height, w: inputShape.width)
                                                              : (h: shapes[s - 1].h, w: shapes[s - 1].w)
            return .some(l.takesWinograd ? convKernel.winogradTile(inChannels: l.weights.inChannels,
                                                                  outChannels: l.weights.outChannels,
                                                                  height: input.h, width: input.w) : nil)
        }
    }
}
