// CPUID and XGETBV for the BLAS kernel dispatch (NSTTensor.CPUFeatures). On other architectures every
// query reports zeros, so no x86 feature is ever assumed there.
#ifndef NST_CCPUID_H
#define NST_CCPUID_H
#include <stdint.h>

/// Registers of CPUID(leaf, subleaf): regs[0..3] = EAX, EBX, ECX, EDX. Returns 0 (and zeros) when the leaf is
/// above the highest one the CPU reports, or off x86-64.
int nst_cpuid(uint32_t leaf, uint32_t subleaf, uint32_t regs[4]);

/// XCR0, the register state the operating system saves on context switches (XGETBV(0)); 0 without OSXSAVE.
uint64_t nst_xcr0(void);

#endif
