import Network

/// One Ethernet segment joining the wires of several NIC ports, like the VPC joining an
/// instance's ENA to other hosts: a frame one port transmits reaches every other member port
/// that accepts its destination address (a member that filters itself, like the 82599, accepts
/// everything; an ENA only its own address, broadcast and multicast). Each wire keeps its own
/// far ends (peers, captures); the segment is one more far end on each.
public final class EthernetSegment {
    /// A port on the segment: its wire and the destinations it accepts.
    struct Member {
        let wire: Wire
        let accepts: (MACAddress) -> Bool
    }

    private var members: [Member] = []
    /// Frames the segment delivered from one member port to another.
    public private(set) var framesForwarded: UInt64 = 0

    /// An empty segment.
    public init() {}

    /// Joins `wire`'s port to the segment; frames from other ports reach it when `accepts` says
    /// so for their destination address.
    public func join(_ wire: Wire, accepts: @escaping (MACAddress) -> Bool = { _ in true }) {
        let index = members.count
        members.append(Member(wire: wire, accepts: accepts))
        wire.addFarEnd(SegmentTap(segment: self, member: index))
    }

    /// Delivers a frame that member `source`'s port transmitted to the other members.
    func forward(_ frame: UnsafeRawBufferPointer, from source: Int) {
        guard frame.count >= 14 else { return }
        let destination = MACAddress(frame, at: 0)
        for (i, member) in members.enumerated() where i != source && member.accepts(destination) {
            framesForwarded &+= 1
            member.wire.transmitToPort(frame)
        }
    }
}

/// The segment's far end on one member's wire (holds the segment weakly: the host owns it).
final class SegmentTap: FrameSink {
    private weak var segment: EthernetSegment?
    private let member: Int

    init(segment: EthernetSegment, member: Int) {
        self.segment = segment
        self.member = member
    }

    func receive(_ frame: UnsafeRawBufferPointer) { segment?.forward(frame, from: member) }
}
