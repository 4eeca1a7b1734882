import NSTTensor

/// The 3×3 convolution kernel VGG19 runs above conv1_1, forward and backward to the input: banded im2col + SGEMM
/// (`Conv3x3`, exact up to summation order) or Winograd F(2×2,3×3) or F(4×4,3×3) (`Winograd3x3`).
///
/// The kernels agree to float rounding but not bitwise, so the choice is a compute setting of a run: the
/// run-configuration key `conv_kernel` (recorded with the configuration in each run's `config.json` and hash, in
/// `log.txt` and `manifest.json`) and, in `nst-exp bench`, `--set conv_kernel=…` (recorded as `conv_kernel` of every
/// result's `system`). CPU seconds of one forward to relu5_1 plus backward with the installed weights
/// (`nst-exp bench --size S`; AMD EPYC Zen 4, 2 threads, OpenBLAS 0.3.21 Cooperlake kernels, same run): at 256×256
/// im2col 1.32, F(2×2) 0.79, F(4×4) 0.53; at 512×512 F(2×2) 3.0, F(4×4) 1.9. Error against im2col per layer
/// (`bench --kernels --size 256`, max-norm relative): F(2×2) 6e-7 to 8e-7, that of direct convolution, F(4×4) 7e-6 to
/// 1.3e-5; with F(4×4) every loss term stays within 4e-6 of the im2col reference at the iterate of a 50-iteration
/// run at 128×128 (`bench --accuracy --size 128`).
public enum ConvKernel: String, Sendable, CaseIterable, Codable {
    /// Banded im2col + SGEMM: the reference the Winograd kernels are checked against (and the kernel of the
    /// finite-difference tests).
    case im2col
    /// Winograd F(2×2,3×3): the error of direct convolution at 1.7 times im2col's speed, for runs whose numbers
    /// are compared with the exact reference over many iterations.
    case winograd2
    /// Winograd F(4×4,3×3): the fastest (the default).
    case winograd4

    /// The kernel of a run that does not choose one.
    public static let standard = ConvKernel.winograd4

    /// The Winograd tile of a layer of this shape on an h×w map, or nil for im2col. The shape does not matter to
    /// these kernels; it is the question `VGG19` asks per layer.
    public func winogradTile(inChannels cin: Int, outChannels cout: Int, height h: Int, width w: Int) -> WinogradTile? {
        switch self {
        case .im2col: return nil
        case .winograd2: return .f2x2
        case .winograd4: return .f4x4
        }
    }
}
