import Intel82599
import Testing

@Test func intel82599ModuleLoads() { #expect(Intel82599.self == Intel82599.self) }
