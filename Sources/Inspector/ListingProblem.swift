/// Something wrong with the input a listing was built from: which file, where in it, and what.
/// The listing goes on without the damaged part.
public struct ListingProblem: Sendable, Equatable, CustomStringConvertible {
    /// The file (or directory) at fault.
    public let file: String
    /// Where in it: `line 12`, `offset 0x40`, or empty for the whole file.
    public let location: String
    /// What is wrong and what was done about it.
    public let message: String

    /// Creates a problem report.
    public init(file: String, location: String = "", message: String) {
        self.file = file
        self.location = location
        self.message = message
    }

    /// `FILE: LOCATION: MESSAGE` (the location omitted when empty).
    public var description: String {
        location.isEmpty ? "\(file): \(message)" : "\(file): \(location): \(message)"
    }
}

/// Functions read from some source, and the problems met reading them.
public struct ListingInput: Sendable {
    /// The functions that could be read.
    public var functions: [ListedFunction]
    /// Everything that was wrong with the input.
    public var problems: [ListingProblem]

    /// Creates an input.
    public init(functions: [ListedFunction], problems: [ListingProblem] = []) {
        self.functions = functions
        self.problems = problems
    }
}
