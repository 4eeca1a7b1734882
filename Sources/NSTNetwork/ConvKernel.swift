import Foundation
import NSTTensor

/// The 3×3 convolution kernel VGG19 runs above conv1_1: banded im2col + SGEMM, or Winograd F(2×2,3×3),
/// F(4×4,3×3) or F(6×6,3×3) (`Winograd3x3`), forward and backward to the input.
public enum ConvKernel: String, Sendable, CaseIterable {
    case im2col, winograd2, winograd4, winograd6

    /// The Winograd tile of a layer of this shape on an h×w map, or nil for im2col. `winograd6` takes F(6×6) on
    /// maps of at least 64×64 in layers of at most 256 channels and F(4×4) elsewhere: on smaller maps the partial
    /// last tile wastes what F(6×6) saves (a 32×32 map computes 36×36 outputs, the same products as F(4×4)), and
    /// the 512-channel layers' U would grow from 4 to 7.1 times the weights.
    public func winogradTile(inChannels cin: Int, outChannels cout: Int, height h: Int, width w: Int) -> WinogradTile? {
        switch self {
        case .im2col: return nil
        case .winograd2: return .f2x2
        case .winograd4: return .f4x4
        case .winograd6: return min(h, w) >= 64 && max(cin, cout) <= 256 ? .f6x6 : .f4x4
        }
    }

    /// `NST_CONV` (im2col, winograd2, winograd4 or winograd6), else Winograd F(4×4,3×3). At 512×512 a forward and
    /// backward takes 2.0 CPU s with it against 2.9 with F(2×2) and 4.9 with im2col. Its features are about ten
    /// times less exact than F(2×2)'s (1e-5 of each layer's range against 1e-6), which leaves every loss term
    /// within 1e-6 of the im2col reference at the iterates of a 50-iteration run (`nst-exp bench --accuracy`).
    /// F(6×6) is an experimental option, not the default: in theory 21 % fewer products than F(4×4), it measured
    /// no faster here (`bench --kernels`, 256×256: 64→64 at 256² 0.024 vs 0.024 CPU s, 128→128 at 128² 0.029 vs
    /// 0.022, 256→256 at 64² 0.024 vs 0.020; a whole 256×256 step 0.27–0.28 vs 0.26–0.27 s), with 1.5 times
    /// F(4×4)'s error. Its SGEMMs are no faster per product at these shapes and its eight-row transforms need more
    /// live pointers than x86-64 has registers.
    public static let fromEnvironment: ConvKernel = {
        ProcessInfo.processInfo.environment["NST_CONV"].flatMap { ConvKernel(rawValue: $0) } ?? .winograd4
    }()
}
