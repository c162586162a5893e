/// When a simulated client is online: windows [start, end) of simulated seconds that repeat every
/// `period` seconds (a diurnal pattern has period 86,400). No windows = always online.
public struct Availability: Sendable, Codable, Equatable {
    /// One online interval [start, end) within the period, 0 <= start < end <= period.
    public struct Window: Sendable, Codable, Equatable {
        public var start: Double
        public var end: Double
        public init(start: Double, end: Double) {
            self.start = start
            self.end = end
        }
    }

    /// Seconds after which `windows` repeat (0 when always online).
    public var period: Double
    /// Sorted, disjoint online windows within one period.
    public var windows: [Window]

    /// Online at every moment.
    public static let always = Availability(period: 0, windows: [])

    /// Windows must be sorted, disjoint and within [0, period]; `DeviceTrace` checks this for traces.
    public init(period: Double, windows: [Window]) {
        self.period = period
        self.windows = windows
    }

    public var isAlwaysOnline: Bool {
        windows.isEmpty || (windows.count == 1 && windows[0].start <= 0 && windows[0].end >= period)
    }

    /// Whether the client is online at simulated time `t`.
    public func isOnline(at t: Double) -> Bool {
        if isAlwaysOnline { return true }
        let x = position(t)
        return windows.contains { $0.start <= x && x < $0.end }
    }

    /// The moment the client goes offline when online at `t` (the end of the window holding `t`,
    /// following a window that ends at the period into one that starts at 0); infinity when it
    /// never does; `t` itself when it is offline at `t`.
    public func onlineUntil(_ t: Double) -> Double {
        if isAlwaysOnline { return .infinity }
        let x = position(t)
        guard let i = windows.firstIndex(where: { $0.start <= x && x < $0.end }) else { return t }
        // The last window reaching the period goes on into a first window starting at 0.
        if i > 0, windows[i].end >= period, windows[0].start <= 0 { return t - x + period + windows[0].end }
        return t - x + windows[i].end
    }

    /// The first moment at or after `t` at which the client is online.
    public func nextOnline(atOrAfter t: Double) -> Double {
        if isOnline(at: t) { return t }
        let base = t - position(t)
        let x = t - base
        if let w = windows.first(where: { $0.start >= x }) { return base + w.start }
        return base + period + windows[0].start
    }

    /// `t` within its period, in [0, period).
    func position(_ t: Double) -> Double {
        let r = t.truncatingRemainder(dividingBy: period)
        return r < 0 ? r + period : r
    }
}
