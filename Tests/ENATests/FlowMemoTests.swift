import Testing

@testable import ENA

@Suite("the receive burst's flow memo")
struct FlowMemoTests {
    @Test("no flow matches no TCP or UDP frame, not even one of all-zero addresses and ports")
    func emptyMatchesNothing() {
        let memo = FlowMemo()
        for l4Protocol in [PacketLayout.tcp, PacketLayout.udp] {
            #expect(!memo.matches(addresses: 0, ports: 0, protocol: l4Protocol))
            #expect(!memo.matches(addresses: 0x0A00_0001_0A00_0002, ports: 0x1234_5678, protocol: l4Protocol))
        }
    }

    @Test("a flow matches only its own addresses, ports and protocol")
    func matchesEveryField() {
        let memo = FlowMemo(addresses: 7, ports: 9, protocol: PacketLayout.udp, hash: 0xABCD, queue: 3)
        #expect(memo.matches(addresses: 7, ports: 9, protocol: PacketLayout.udp))
        #expect(memo.hash == 0xABCD && memo.queue == 3)
        #expect(!memo.matches(addresses: 8, ports: 9, protocol: PacketLayout.udp))
        #expect(!memo.matches(addresses: 7, ports: 10, protocol: PacketLayout.udp))
        #expect(!memo.matches(addresses: 7, ports: 9, protocol: PacketLayout.tcp))
        // Zero addresses and ports are a flow like any other once set.
        let zero = FlowMemo(addresses: 0, ports: 0, protocol: PacketLayout.tcp, hash: 1, queue: 0)
        #expect(zero.matches(addresses: 0, ports: 0, protocol: PacketLayout.tcp))
        #expect(!zero.matches(addresses: 0, ports: 0, protocol: PacketLayout.udp))
    }
}
