import Foundation
import Yams

/// Reads a ``HostProfile`` from the node tree Yams composes, without `Codable`.
///
/// `YAMLDecoder` spends most of a parse in its `Codable` containers: every field is looked up
/// three times (`contains`, `decodeNil`, `decode`), each lookup builds a key node, resolves its
/// tag with a regular expression and compares it with every key of the mapping, and every level
/// copies its node. This reader composes the document with the same parser settings
/// (`YAMLDecoder`'s resolver: merge keys only; UTF-8), finds each mapping's fields in one pass,
/// and builds each scalar with Yams' own `ScalarConstructible` constructors, so values are
/// Yams'; the errors are the `DecodingError`s `YAMLDecoder` throws, with the same coding paths
/// and texts.
///
/// It reads documents whose nodes carry no anchor and no explicit tag (quoted scalars' implicit
/// `!!str` aside), and whose mappings have no merge key: everything the built-in profiles and
/// hand-written profile files use. For any other document `read` returns nil and the caller
/// decodes it with `YAMLDecoder`: anchors share one `Tag` object between nodes, and
/// `YAMLDecoder` resolves and rewrites tags (merge and `!!value` keys) as it goes, which changes
/// how `Bool` reads a shared node; reproducing that is not worth it for documents no profile
/// has. `ProfileDecodingTests` holds the two to the same results and error texts.
enum ProfileNodeDecoder {
    /// `YAMLDecoder`'s resolver: it composes with `Resolver([.merge])`, so every implicit scalar
    /// but `<<` resolves to `!!str`.
    static let resolver = Resolver.basic.appending(.merge)

    /// One constructor for every parse (`Constructor.default` builds three dictionaries per
    /// call). Only `Node.any` uses it, and this reader never calls that; never mutated.
    private nonisolated(unsafe) static let constructor = Constructor.default

    /// The profile in `yaml`; nil when the document is not one this reader reads (see above).
    /// Throws what `YAMLDecoder.decode(HostProfile.self, from:)` throws: a `DecodingError`,
    /// with a parse error as the underlying error of `dataCorrupted`.
    static func read(_ yaml: String) throws -> HostProfile? {
        let parser: Parser
        let composed: Node?
        do {
            parser = try Parser(yaml: yaml, resolver: resolver, constructor: constructor, encoding: .utf8)
            composed = try parser.singleRoot()
        } catch {
            // What YAMLDecoder throws, its parse error printing through the faster text.
            let underlying: Error = (error as? YamlError).map(ParseErrorText.init) ?? error
            throw DecodingError.dataCorrupted(
                .init(codingPath: [], debugDescription: "The given data was not valid YAML.", underlyingError: underlying))
        }
        // The parser owns the anchors (nodes hold them weakly): keep it until the tree is read.
        return try withExtendedLifetime(parser) { () throws -> HostProfile? in
            let root = composed ?? ""
            guard isPlain(root) else { return nil }
            return try profile(root)
        }
    }

    // MARK: - Which documents

    /// Whether no node under `node` has an anchor or an explicit tag (a quoted scalar's implicit
    /// `!!str` aside) and no mapping has a merge key. The parser has resolved every mapping key's
    /// tag already (its duplicate check hashes them), so a merge key reads as `!!merge` here.
    static func isPlain(_ node: Node) -> Bool {
        switch node {
        case .scalar(let scalar):
            let tag = scalar.tag.rawValue
            return scalar.anchor == nil && (tag.isEmpty || tag == Tag.Name.str.rawValue)
        case .mapping(let mapping):
            guard mapping.anchor == nil, mapping.tag.rawValue.isEmpty else { return false }
            for index in mapping.indices {
                let (key, value) = mapping[index]
                if case .scalar(let scalar) = key, scalar.tag.rawValue.isEmpty, scalar.string.hasPrefix("<<") {
                    return false
                }
                guard isPlain(key), isPlain(value) else { return false }
            }
            return true
        case .sequence(let sequence):
            guard sequence.anchor == nil, sequence.tag.rawValue.isEmpty else { return false }
            return sequence.allSatisfy(isPlain)
        case .alias:
            return false
        }
    }

    // MARK: - Profile and entries

    /// The profile's keys, named and printed as the synthesized `CodingKeys` are.
    enum ProfileKeys {
        enum CodingKeys: String, CodingKey {
            case name, description, devices
        }
    }

    /// A device entry's keys, in the order the synthesized `init(from:)` decodes them.
    enum EntryKeys {
        enum CodingKeys: String, CodingKey, CaseIterable {
            case kind, slot, totalVFs, vfs, serial, capacityMiB, blockSize, queues, volumeID, blockDeviceName
            case backingFile, encrypted, mac, llq, allowancePPS, allowanceBurst, allowanceMbps, wire
        }
    }

    private typealias ProfileKey = ProfileKeys.CodingKeys
    private typealias EntryKey = EntryKeys.CodingKeys

    /// The key of a sequence element, as Yams names it (`Index N`, with the index as `intValue`).
    struct IndexKey: CodingKey {
        var stringValue: String
        var intValue: Int?
        init?(stringValue: String) {
            self.stringValue = stringValue
            intValue = nil
        }
        init?(intValue: Int) { self.init(index: intValue) }
        init(index: Int) {
            stringValue = "Index \(index)"
            intValue = index
        }
    }

    private static func profile(_ root: Node) throws -> HostProfile {
        let fields = try mapping(root, at: [], keys: profileOrder)
        let name = try string(fields[0], ProfileKey.name, at: [])
        let description = try string(fields[1], ProfileKey.description, at: [])
        guard let devicesNode = fields[2] else { throw missing(ProfileKey.devices, at: []) }
        let devicesPath: [CodingKey] = [ProfileKey.devices]
        guard case .sequence(let sequence) = devicesNode else {
            throw mismatch(Node.Sequence.self, Node.self, at: devicesPath)
        }
        var devices: [DeviceEntry] = []
        devices.reserveCapacity(sequence.count)
        for (index, node) in sequence.enumerated() {
            devices.append(try entry(node, at: devicesPath + [IndexKey(index: index)]))
        }
        return HostProfile(name: name, description: description, devices: devices)
    }

    private static func entry(_ node: Node, at path: [CodingKey]) throws -> DeviceEntry {
        let f = try mapping(node, at: path, keys: entryOrder)
        let kindText = try string(f[0], EntryKey.kind, at: path)
        guard let kind = DeviceKind(rawValue: kindText) else {
            throw DecodingError.dataCorrupted(
                .init(
                    codingPath: path + [EntryKey.kind],
                    debugDescription: "Cannot initialize \(DeviceKind.self) from invalid \(String.self) value \(kindText)"))
        }
        // Each optional as `decodeIfPresent` reads it, in declaration order (the first error wins).
        return DeviceEntry(
            kind: kind, slot: try string(f[1], EntryKey.slot, at: path),
            totalVFs: try optional(f[2], EntryKey.totalVFs, at: path, Int.construct),
            vfs: try optional(f[3], EntryKey.vfs, at: path, Int.construct),
            serial: try optional(f[4], EntryKey.serial, at: path, UInt64.construct),
            capacityMiB: try optional(f[5], EntryKey.capacityMiB, at: path, Int.construct),
            blockSize: try optional(f[6], EntryKey.blockSize, at: path, Int.construct),
            queues: try optional(f[7], EntryKey.queues, at: path, Int.construct),
            volumeID: try optional(f[8], EntryKey.volumeID, at: path, String.construct),
            blockDeviceName: try optional(f[9], EntryKey.blockDeviceName, at: path, String.construct),
            backingFile: try optional(f[10], EntryKey.backingFile, at: path, String.construct),
            encrypted: try optional(f[11], EntryKey.encrypted, at: path, Bool.construct),
            mac: try optional(f[12], EntryKey.mac, at: path, String.construct),
            llq: try optional(f[13], EntryKey.llq, at: path, Bool.construct),
            allowancePPS: try optional(f[14], EntryKey.allowancePPS, at: path, UInt64.construct),
            allowanceBurst: try optional(f[15], EntryKey.allowanceBurst, at: path, UInt64.construct),
            allowanceMbps: try optional(f[16], EntryKey.allowanceMbps, at: path, UInt64.construct),
            wire: try optional(f[17], EntryKey.wire, at: path, String.construct))
    }

    // MARK: - Containers and scalars

    /// The value of each of `keys`' cases (by declaration order) in the mapping `node`; the last
    /// pair wins, as Yams' lookup takes the last matching key. In a plain document every scalar
    /// key resolves to `!!str`, as the key Yams looks up with does, so equal strings match.
    private static func mapping<Key: CodingKey & RawRepresentable & Equatable>(
        _ node: Node, at path: [CodingKey], keys order: [Key]
    ) throws -> [Node?] where Key.RawValue == String {
        guard case .mapping(let mapping) = node else { throw mismatch(Node.Mapping.self, Node.self, at: path) }
        var fields = [Node?](repeating: nil, count: order.count)
        for index in mapping.indices {
            let (key, value) = mapping[index]
            guard case .scalar(let scalar) = key, let field = Key(rawValue: scalar.string),
                let position = order.firstIndex(of: field)
            else { continue }
            fields[position] = value
        }
        return fields
    }

    private static let profileOrder: [ProfileKey] = [.name, .description, .devices]
    private static let entryOrder = EntryKey.allCases

    /// A required string (`decode(String.self, forKey:)`).
    private static func string<Key: CodingKey>(_ node: Node?, _ key: Key, at path: [CodingKey]) throws -> String {
        guard let node else { throw missing(key, at: path) }
        return try scalar(node, at: path + [key]).string
    }

    /// `decodeIfPresent(T.self, forKey:)`: nil when absent or a plain null, else `construct`'s
    /// value, or the type mismatch `YAMLDecoder` reports.
    private static func optional<T, Key: CodingKey>(
        _ node: Node?, _ key: Key, at path: [CodingKey], _ construct: (Node.Scalar) -> T?
    ) throws -> T? {
        guard let node else { return nil }
        if case .scalar(let value) = node, NSNull.construct(from: value) != nil { return nil }
        let value = try scalar(node, at: path + [key])
        guard let constructed = construct(value) else { throw mismatch(T.self, Node.Scalar.self, at: path + [key]) }
        return constructed
    }

    private static func scalar(_ node: Node, at path: [CodingKey]) throws -> Node.Scalar {
        switch node {
        case .scalar(let scalar): return scalar
        case .mapping: throw mismatch(Node.Scalar.self, Node.Mapping.self, at: path)
        case .sequence: throw mismatch(Node.Scalar.self, Node.Sequence.self, at: path)
        case .alias: throw mismatch(Node.Scalar.self, Node.Alias.self, at: path)
        }
    }

    // MARK: - Errors, worded as YAMLDecoder words them

    private static func missing(_ key: CodingKey, at path: [CodingKey]) -> DecodingError {
        .keyNotFound(
            key, .init(codingPath: path, debugDescription: "No value associated with key \(key) (\"\(key.stringValue)\")."))
    }

    private static func mismatch(_ expected: Any.Type, _ found: Any.Type, at path: [CodingKey]) -> DecodingError {
        .typeMismatch(
            expected, .init(codingPath: path, debugDescription: "Expected to decode \(expected) but found \(found) instead."))
    }
}
