//go:build !purego

#include "textflag.h"

// AVX2 and F16C loops behind the slice conversions in slice.go. Each takes
// n, a positive multiple of the number of elements one iteration handles,
// and computes bit for bit what the portable loop computes:
//   - bfloat16: the same integer round-to-nearest-even as BF16FromF32, 8
//     lanes at a time;
//   - float16: VCVTPS2PH with immediate rounding 0 (nearest, ties to even;
//     MXCSR, which Go leaves at its default, is not consulted) and
//     VCVTPH2PS, which are exact IEEE conversions including subnormals.

DATA bf16One<>+0(SB)/4, $0x00000001
GLOBL bf16One<>(SB), RODATA|NOPTR, $4
DATA bf16Half<>+0(SB)/4, $0x00007fff
GLOBL bf16Half<>(SB), RODATA|NOPTR, $4
DATA absMask<>+0(SB)/4, $0x7fffffff
GLOBL absMask<>(SB), RODATA|NOPTR, $4
DATA infBits<>+0(SB)/4, $0x7f800000
GLOBL infBits<>(SB), RODATA|NOPTR, $4
DATA bf16Quiet<>+0(SB)/4, $0x00000040
GLOBL bf16Quiet<>(SB), RODATA|NOPTR, $4
DATA f32Quiet<>+0(SB)/4, $0x00400000
GLOBL f32Quiet<>(SB), RODATA|NOPTR, $4
DATA highHalf<>+0(SB)/4, $0xffff0000
GLOBL highHalf<>(SB), RODATA|NOPTR, $4

// BF16ROUND leaves in ADD the amount to add to the float32 bits in X for
// round to nearest even (0x7fff plus the lsb of the kept half, or 0 for a
// NaN) and in NAN the NaN mask (all ones where |x| > Inf). Uses Y8-Y11.
#define BF16ROUND(X, ADD, NAN) \
	VPSRLD   $16, X, ADD     \
	VPAND    Y8, ADD, ADD    \
	VPADDD   Y9, ADD, ADD    \
	VPAND    Y10, X, NAN     \
	VPCMPGTD Y11, NAN, NAN   \
	VPANDN   ADD, NAN, ADD

#define BF16CONSTS \
	VPBROADCASTD bf16One<>(SB), Y8  \
	VPBROADCASTD bf16Half<>(SB), Y9 \
	VPBROADCASTD absMask<>(SB), Y10 \
	VPBROADCASTD infBits<>(SB), Y11

// func bf16FromF32sAVX2(dst *BF16, src *float32, n int)
// n is a multiple of 16.
TEXT ·bf16FromF32sAVX2(SB), NOSPLIT, $0-24
	MOVQ dst+0(FP), DI
	MOVQ src+8(FP), SI
	MOVQ n+16(FP), CX
	SHRQ $4, CX
	BF16CONSTS
	VPBROADCASTD bf16Quiet<>(SB), Y12

bf16Loop:
	VMOVDQU (SI), Y0
	VMOVDQU 32(SI), Y4
	BF16ROUND(Y0, Y1, Y2)
	BF16ROUND(Y4, Y5, Y6)
	VPADDD  Y1, Y0, Y0
	VPADDD  Y5, Y4, Y4
	VPSRLD  $16, Y0, Y0
	VPSRLD  $16, Y4, Y4
	VPAND   Y12, Y2, Y2
	VPAND   Y12, Y6, Y6
	VPOR    Y2, Y0, Y0
	VPOR    Y6, Y4, Y4
	// Each lane now holds a value ≤ 0xffff, so the unsigned saturating
	// pack is exact; it interleaves 128-bit halves, which VPERMQ undoes.
	VPACKUSDW Y4, Y0, Y0
	VPERMQ    $0xd8, Y0, Y0
	VMOVDQU   Y0, (DI)
	ADDQ      $64, SI
	ADDQ      $32, DI
	DECQ      CX
	JNZ       bf16Loop
	VZEROUPPER
	RET

// func roundBF16AVX2(x *float32, n int)
// n is a multiple of 8.
TEXT ·roundBF16AVX2(SB), NOSPLIT, $0-16
	MOVQ x+0(FP), SI
	MOVQ n+8(FP), CX
	SHRQ $3, CX
	BF16CONSTS
	VPBROADCASTD f32Quiet<>(SB), Y12
	VPBROADCASTD highHalf<>(SB), Y13

roundBF16Loop:
	VMOVDQU (SI), Y0
	BF16ROUND(Y0, Y1, Y2)
	VPADDD  Y1, Y0, Y0
	VPAND   Y13, Y0, Y0
	VPAND   Y12, Y2, Y2
	VPOR    Y2, Y0, Y0
	VMOVDQU Y0, (SI)
	ADDQ    $32, SI
	DECQ    CX
	JNZ     roundBF16Loop
	VZEROUPPER
	RET

// func f32sFromBF16AVX2(dst *float32, src *BF16, n int)
// n is a multiple of 16.
TEXT ·f32sFromBF16AVX2(SB), NOSPLIT, $0-24
	MOVQ dst+0(FP), DI
	MOVQ src+8(FP), SI
	MOVQ n+16(FP), CX
	SHRQ $4, CX

f32sFromBF16Loop:
	VPMOVZXWD (SI), Y0
	VPMOVZXWD 16(SI), Y1
	VPSLLD    $16, Y0, Y0
	VPSLLD    $16, Y1, Y1
	VMOVDQU   Y0, (DI)
	VMOVDQU   Y1, 32(DI)
	ADDQ      $32, SI
	ADDQ      $64, DI
	DECQ      CX
	JNZ       f32sFromBF16Loop
	VZEROUPPER
	RET

// func f16FromF32sF16C(dst *F16, src *float32, n int)
// n is a multiple of 16.
TEXT ·f16FromF32sF16C(SB), NOSPLIT, $0-24
	MOVQ dst+0(FP), DI
	MOVQ src+8(FP), SI
	MOVQ n+16(FP), CX
	SHRQ $4, CX

f16Loop:
	VMOVUPS   (SI), Y0
	VMOVUPS   32(SI), Y1
	VCVTPS2PH $0, Y0, (DI)
	VCVTPS2PH $0, Y1, 16(DI)
	ADDQ      $64, SI
	ADDQ      $32, DI
	DECQ      CX
	JNZ       f16Loop
	VZEROUPPER
	RET

// func f32sFromF16F16C(dst *float32, src *F16, n int)
// n is a multiple of 16.
TEXT ·f32sFromF16F16C(SB), NOSPLIT, $0-24
	MOVQ dst+0(FP), DI
	MOVQ src+8(FP), SI
	MOVQ n+16(FP), CX
	SHRQ $4, CX

f32sFromF16Loop:
	VCVTPH2PS (SI), Y0
	VCVTPH2PS 16(SI), Y1
	VMOVUPS   Y0, (DI)
	VMOVUPS   Y1, 32(DI)
	ADDQ      $32, SI
	ADDQ      $64, DI
	DECQ      CX
	JNZ       f32sFromF16Loop
	VZEROUPPER
	RET

// func roundF16F16C(x *float32, n int)
// n is a multiple of 16.
TEXT ·roundF16F16C(SB), NOSPLIT, $0-16
	MOVQ x+0(FP), SI
	MOVQ n+8(FP), CX
	SHRQ $4, CX

roundF16Loop:
	VMOVUPS   (SI), Y0
	VMOVUPS   32(SI), Y1
	VCVTPS2PH $0, Y0, X2
	VCVTPS2PH $0, Y1, X3
	VCVTPH2PS X2, Y0
	VCVTPH2PS X3, Y1
	VMOVUPS   Y0, (SI)
	VMOVUPS   Y1, 32(SI)
	ADDQ      $64, SI
	DECQ      CX
	JNZ       roundF16Loop
	VZEROUPPER
	RET
