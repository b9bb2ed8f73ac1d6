import Network
import Testing

@Test func networkModuleLoads() { #expect(Network.self == Network.self) }
