#include "ccpuid.h"

#if defined(__x86_64__) || defined(__i386__)
#include <cpuid.h>

int nst_cpuid(uint32_t leaf, uint32_t subleaf, uint32_t regs[4]) {
    unsigned int a = 0, b = 0, c = 0, d = 0;
    if (!__get_cpuid_count(leaf, subleaf, &a, &b, &c, &d)) {
        regs[0] = regs[1] = regs[2] = regs[3] = 0;
        return 0;
    }
    regs[0] = a; regs[1] = b; regs[2] = c; regs[3] = d;
    return 1;
}

uint64_t nst_xcr0(void) {
    unsigned int a, b, c, d;
    if (!__get_cpuid(1, &a, &b, &c, &d) || !(c & (1u << 27))) return 0;   // OSXSAVE
    uint32_t lo, hi;
    __asm__ volatile("xgetbv" : "=a"(lo), "=d"(hi) : "c"(0));
    return ((uint64_t)hi << 32) | lo;
}
#else
int nst_cpuid(uint32_t leaf, uint32_t subleaf, uint32_t regs[4]) {
    (void)leaf; (void)subleaf;
    regs[0] = regs[1] = regs[2] = regs[3] = 0;
    return 0;
}

uint64_t nst_xcr0(void) { return 0; }
#endif
