import FuzzKit

/// libFuzzer's entry point for the `sysfs` target: one input, one fresh device, every
/// invariant; a broken invariant aborts so libFuzzer keeps the input.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    FuzzRunner.libFuzzerEntry(target: "sysfs", UnsafeRawBufferPointer(start: data, count: size))
}
