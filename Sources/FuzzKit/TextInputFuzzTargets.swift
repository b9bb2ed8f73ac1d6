import Foundation
import Host
import Inspector
import PCIe

/// A text document the operations edit (the config image of the text parsers): config writes
/// put bytes at an offset, ring-entry writes splice 16-64 bytes in, fills overwrite a run with
/// a byte or with digits, hex and separators, resets restore the valid sample.
struct FuzzedText {
    private let original: [UInt8]
    private(set) var bytes: [UInt8]
    /// Longest the document may grow (bounds the parser's work per input).
    static let maximumLength = 64 * 1024

    init(_ sample: String) { self.init(bytes: Array(sample.utf8)) }

    init(bytes sample: [UInt8]) {
        original = sample
        bytes = sample
    }

    /// The document as text (invalid UTF-8 repaired, as reading a file would).
    var text: String { String(decoding: bytes, as: UTF8.self) }

    /// The bytes the last check parsed (the checks are pure functions of the document).
    private var checked: [UInt8]?

    /// Whether the document differs from the one last checked; marks it checked. An operation
    /// that left the document as it was (a read, a doorbell, time) cannot change what parsing
    /// it gives, so the check after it is skipped.
    mutating func needsCheck() -> Bool {
        if let checked, checked == bytes { return false }
        checked = bytes
        return true
    }

    mutating func apply(_ op: FuzzOperation) {
        switch op {
        case .configWrite(let offset, let width, let value):
            let at = bytes.isEmpty ? 0 : Int(offset) % bytes.count
            for i in 0..<width.rawValue where at + i < bytes.count {
                bytes[at + i] = UInt8(truncatingIfNeeded: value >> UInt32(8 * i))
            }
        case .writeEntry(let slot, let mask, let entry):
            let at = bytes.isEmpty ? 0 : Int(slot) * 61 % bytes.count
            if mask & 1 == 0, bytes.count + entry.count <= Self.maximumLength {
                bytes.insert(contentsOf: entry, at: at)
            } else {
                bytes.replaceSubrange(at..<min(bytes.count, at + entry.count), with: entry)
            }
        case .fillMemory(let offset, let length, let pattern, let seed):
            guard !bytes.isEmpty else { return }
            let start = Int(offset) % bytes.count
            let end = min(bytes.count, start + Int(length) % 256)
            let alphabet = Array("0123456789abcdef :.\n-x".utf8)
            var random = SplitMix64(seed: seed)
            for i in start..<end {
                bytes[i] = pattern & 1 == 0 ? alphabet[Int(random.next() % UInt64(alphabet.count))] : pattern
            }
        case .mmioWrite(_, let offset, _, _):
            // Truncation, as a short read of the file would give.
            bytes.removeLast(bytes.isEmpty ? 0 : Int(offset) % (bytes.count + 1))
        case .reset, .reinitialize:
            bytes = original
        default:
            break
        }
    }
}

/// `pci-list -F`: lspci hex dumps edited byte by byte, read by ``LspciDumpReader`` and listed at
/// -vvv after every operation. Every problem must name the file and a line; every function read
/// must list.
public final class LspciDumpFuzzTarget: FuzzTarget {
    public static let name = "lspci-dump"
    public static let summary = "pci-list -F: lspci hex dumps (bad hex, short and long lines, chains) read and listed at -vvv"
    public let harness: FuzzHarness? = nil
    public let surface = FuzzSurface(registers: [], doorbellCount: 1, entryCount: 256, entrySize: 16, virtualFunctions: false)
    private var document: FuzzedText
    private let formatter = LspciFormatter(options: LspciOptions(verbosity: 3, nameStyle: .mixed, hexDump: 3))
    /// The last listing's blocks: an edit that leaves a function's bytes as they were (in its
    /// header line's text, or one that only adds a problem) does not format it again.
    private let blocks = ListedBlocks()

    /// The sample every input starts from: an 82599 PF's own `-xxxx` dump, made once.
    static let sample: String = {
        guard let rig = try? Intel82599FuzzRig() else { return "" }
        return LspciFormatter(options: LspciOptions(hexDump: 3)).format([rig.pf.snapshot()])
    }()

    public init() throws { document = FuzzedText(Self.sample) }

    public func apply(_ op: FuzzOperation) { document.apply(op) }

    public func violatedInvariant(after op: FuzzOperation) -> (invariant: String, detail: String)? {
        guard document.needsCheck() else { return nil }
        // The bytes as the text they decode to (`read(document.text)`), without making that text.
        let input = LspciDumpReader(fileName: "fuzz.dump").read(utf8: document.bytes)
        return listingViolation(
            input, formatter, blocks: blocks, invariant: "problems name the file and say what is wrong"
        ) {
            $0 == "fuzz.dump"
        }
    }

    public func finalCheck() -> (invariant: String, detail: String)? { nil }
}

/// Host profiles (YAML) edited byte by byte and parsed: the result is a profile or an error
/// that names the source; never a trap.
public final class HostProfileFuzzTarget: FuzzTarget {
    public static let name = "host-profile"
    public static let summary = "profile YAML (devbench --profile, pci-list --profile) edited and parsed"
    public let harness: FuzzHarness? = nil
    public let surface = FuzzSurface(registers: [], doorbellCount: 1, entryCount: 256, entrySize: 16, virtualFunctions: false)
    private var document: FuzzedText

    public init() throws {
        document = FuzzedText(BuiltinProfiles.yaml[BuiltinProfiles.defaultName] ?? "")
    }

    public func apply(_ op: FuzzOperation) { document.apply(op) }

    public func violatedInvariant(after op: FuzzOperation) -> (invariant: String, detail: String)? {
        guard document.needsCheck() else { return nil }
        do {
            _ = try HostProfile.parse(yaml: document.text, source: "fuzz.yaml")
        } catch {
            // Foundation's `contains`, mostly by bytes (bridging to NSString was 6% of this target).
            let description = error.description
            if !asciiContains(description, "fuzz.yaml") {
                return ("profile errors name the file", description)
            }
        }
        return nil
    }

    public func finalCheck() -> (invariant: String, detail: String)? { nil }
}

/// `text.contains(needle)` (Foundation's, which matches by canonical equivalence and bridges to
/// `NSString`) for an ASCII `needle` of letters, digits and punctuation, mostly by bytes: no
/// other text is canonically equivalent to those, so bytes not found mean not found, and bytes
/// found between two ASCII bytes (or the text's ends) are whole `Character`s, so they are found.
/// A find next to a byte above 0x7f (a mark there may join the needle's last letter) asks
/// Foundation.
func asciiContains(_ text: String, _ needle: StaticString) -> Bool {
    var copy = text
    let found: Bool? = copy.withUTF8 { bytes in
        let pattern = UnsafeBufferPointer(start: needle.utf8Start, count: needle.utf8CodeUnitCount)
        guard let first = pattern.first, bytes.count >= pattern.count else { return pattern.isEmpty ? nil : false }
        var unsure = false
        for start in 0...(bytes.count - pattern.count) where bytes[start] == first {
            guard (1..<pattern.count).allSatisfy({ bytes[start + $0] == pattern[$0] }) else { continue }
            let end = start + pattern.count
            if (start == 0 || bytes[start - 1] < 0x80) && (end == bytes.count || bytes[end] < 0x80) { return true }
            unsure = true
        }
        return unsure ? nil : false
    }
    return found ?? text.contains(needle.description)
}

/// The invariants of a parser target's reading: every problem names a file `names` accepts and
/// says what is wrong (`invariant` when not), and the functions read list, ending a line.
/// `blocks`, when given, keeps each function's listed block from one check to the next: a block
/// is a pure function of its snapshot (the formatter's options are fixed), so a function the
/// operation left as it was is not formatted again.
func listingViolation(
    _ input: ListingInput, _ formatter: LspciFormatter, blocks: ListedBlocks? = nil, invariant: String,
    names: (String) -> Bool
) -> (invariant: String, detail: String)? {
    if let p = input.problems.first(where: { !names($0.file) || $0.message.isEmpty }) {
        return (invariant, "\(p)")
    }
    let snapshots = input.functions.map(\.snapshot)
    let text = blocks?.format(snapshots, formatter) ?? formatter.format(snapshots)
    if !input.functions.isEmpty, !text.hasSuffix("\n") {
        return ("every function read lists", "output does not end a line")
    }
    return nil
}

/// The blocks of the last listing ``listingViolation(_:_:blocks:invariant:names:)`` made, by
/// snapshot.
final class ListedBlocks {
    private var last: [(snapshot: FunctionSnapshot, block: String)] = []

    /// `formatter.format(snapshots)`: the blocks of the snapshots sorted by address as
    /// `LspciFormatter.format(_:)` sorts them (no domains: a snapshot lists in domain 0), each
    /// taken from the last listing when an equal snapshot was in it.
    func format(_ snapshots: [FunctionSnapshot], _ formatter: LspciFormatter) -> String {
        var made: [(snapshot: FunctionSnapshot, block: String)] = []
        made.reserveCapacity(snapshots.count)
        var text = ""
        for (index, snapshot) in snapshots.sorted(by: { $0.bdf.routingID < $1.bdf.routingID }).enumerated() {
            let block: String
            if index < last.count, last[index].snapshot == snapshot {
                block = last[index].block
            } else if let hit = last.first(where: { $0.snapshot == snapshot }) {
                block = hit.block
            } else {
                block = formatter.format(ListedFunction(snapshot: snapshot), domainsDetected: false)
            }
            made.append((snapshot, block))
            text += block
        }
        last = made
        return text
    }
}
