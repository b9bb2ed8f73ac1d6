import Foundation
import Inspector
import PCIe

/// The config-space parsers: a 4096-byte config image (starting as a real 82599 PF's, with
/// its capability chains) that the operations overwrite without any read-only masking, formatted
/// after every operation by the lspci decoder at every verbosity it distinguishes (-v and -vv;
/// -vvv lists what -vv lists). Looping, broken and out-of-range chains must end with lspci's
/// markers, never hang or trap.
public final class ConfigSpaceFuzzTarget: FuzzTarget {
    public static let name = "config-space"
    public static let summary = "raw config images through the lspci decoder (-v, -vv = -vvv; -nn): capability chains, headers"
    public let harness: FuzzHarness? = nil
    public let surface: FuzzSurface
    private let original: FunctionSnapshot
    private(set) var image: [UInt8]
    /// The image the last check formatted.
    private var checked: [UInt8]?
    private let formatters = verbosities.map { LspciFormatter(options: LspciOptions(verbosity: $0, nameStyle: .mixed)) }
    /// The verbosities the check formats at. The formatter has no branch for -vvv of its own
    /// (its output is -vv's, byte for byte: `ConfigSpaceTargetTests` holds it to that), so
    /// formatting at -vvv too ran the same code on the same bytes a second time.
    static let verbosities = [1, 2]

    /// The image every input starts from: a brought-up 82599 PF's config space, made once per
    /// process (the target only ever edits a copy; the rig behind it is not reachable).
    private static let sample: Result<FunctionSnapshot, FuzzSetupError> = {
        do {
            return .success(try Intel82599FuzzRig().pf.snapshot())
        } catch {
            return .failure(FuzzSetupError(detail: "\(error)"))
        }
    }()

    public init() throws {
        original = try Self.sample.get()
        image = original.config
        surface = FuzzSurface(
            registers: [], doorbellCount: 1, entryCount: 256, entrySize: 16, virtualFunctions: false)
    }

    public func apply(_ op: FuzzOperation) {
        switch op {
        case .configWrite(let offset, let width, let value):
            for i in 0..<width.rawValue where Int(offset) + i < image.count {
                image[Int(offset) + i] = UInt8(truncatingIfNeeded: value >> UInt32(8 * i))
            }
        case .fillMemory(let offset, let length, let pattern, let seed):
            var random = SplitMix64(seed: seed)
            let start = Int(offset) % image.count
            for i in start..<min(image.count, start + Int(length)) {
                image[i] = pattern & 1 == 0 ? UInt8(truncatingIfNeeded: random.next()) : pattern
            }
        case .writeEntry(let slot, _, let bytes):
            let start = Int(slot) * 16 % image.count
            for (i, b) in bytes.enumerated() where start + i < image.count { image[start + i] = b }
        case .reset, .reinitialize:
            image = original.config
        default:
            break
        }
    }

    public func violatedInvariant(after op: FuzzOperation) -> (invariant: String, detail: String)? {
        // The check is a pure function of the image: after an operation that left the image as
        // it was (a read, a doorbell, time), it cannot find anything new.
        if let checked, Self.sameBytes(checked, image) { return nil }
        checked = image
        let snapshot = FunctionSnapshot(bdf: original.bdf, config: image, resources: original.resources)
        let prefix = original.bdf.description
        for formatter in formatters {
            let text = formatter.format([snapshot])
            if !text.hasPrefix(prefix) || !text.hasSuffix("\n") {
                return ("lspci output is well formed", "verbosity \(formatter.options.verbosity): \(text.prefix(80))")
            }
        }
        return nil
    }

    public func finalCheck() -> (invariant: String, detail: String)? { nil }

    /// `a == b` by `memcmp` (`Array ==` compares a 4 KiB image byte by byte in a loop: 6% of
    /// this target's instructions).
    static func sameBytes(_ a: [UInt8], _ b: [UInt8]) -> Bool {
        guard a.count == b.count else { return false }
        return a.withUnsafeBytes { x in
            b.withUnsafeBytes { y in
                guard let p = x.baseAddress, let q = y.baseAddress else { return true }
                return memcmp(p, q, x.count) == 0
            }
        }
    }
}
