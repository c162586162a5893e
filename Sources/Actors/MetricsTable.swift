import Foundation

/// metrics.csv: metrics.jsonl in long form for tools (pandas, R, a spreadsheet), one row per
/// (round, participant). Client fields come from the round's per-client maps; round fields
/// (`round_*`, `bytes_*`) repeat on each row of their round. Columns: `MetricsTable.columns`,
/// documented in experiments/README.md.
public enum MetricsTable {
    /// The fixed columns, in order; `bytes_<message type>_<direction>` columns follow, one per
    /// message type and direction any round counted (round totals: the transport counts bytes by
    /// message type, not by client).
    public static let columns = [
        "round", "client", "responded", "dropped_phase", "local_samples", "coreset_size", "centroids",
        "selected_clusters", "client_train_loss", "features_s", "fusion_s", "intra_clustering_s", "selection_s",
        "training_s", "client_total_s", "round_s", "round_inter_clustering_s", "round_train_loss", "round_test_loss",
        "round_rouge_l", "round_data_ratio"
    ]

    /// Columns of a run on the simulated clock (`RoundMetrics.simulated`), after the fixed ones:
    /// the client's outcome, its phase times (seconds; `_reports_at` absolute simulated time), the
    /// tokens and bytes it was charged for over the round, when it left the round, and the round's
    /// simulated start, end and clients online.
    public static let simulatedColumns = [
        "sim_outcome", "sim_select_download_s", "sim_select_compute_s", "sim_select_upload_s", "sim_select_reports_at",
        "sim_train_download_s", "sim_train_compute_s", "sim_train_upload_s", "sim_train_reports_at",
        "sim_feature_tokens", "sim_train_tokens", "sim_bytes_down", "sim_bytes_up", "sim_left_at",
        "round_sim_start", "round_sim_end", "round_sim_online"
    ]

    public static func csv(_ rounds: [RoundMetrics]) -> String {
        let byteKeys = Set(rounds.flatMap(\.bytes.keys)).sorted()
        let simulated = rounds.contains { $0.simulated != nil }
        let header =
            columns + (simulated ? simulatedColumns : [])
            + byteKeys.map { "bytes_" + $0.replacingOccurrences(of: ".", with: "_") }
        var out = header.joined(separator: ",") + "\n"
        for m in rounds {
            let roundValues: [Double?] = [m.seconds, m.interClustering, m.trainLoss, m.testLoss, m.rougeL, m.dataRatio]
            let roundFields = roundValues.map(number)
            let bytes: [String] = byteKeys.map { m.bytes[$0].map(String.init) ?? "0" }
            for client in m.participants.sorted() {
                let k = String(client)
                let t = m.clientTimes[k]
                let responded: String = m.responders.contains(client) ? "1" : "0"
                let local: String = m.localSizes[k].map(String.init) ?? ""
                let coreset: String = m.coresetSizes[k].map(String.init) ?? ""
                let centroids: String = m.centroids[k].map(String.init) ?? ""
                let selected: String = m.selected[k].map { String($0.count) } ?? ""
                var row: [String] = [
                    String(m.round), k, responded, field(m.dropped[k] ?? ""), local, coreset, centroids,
                    selected, number(m.clientLosses[k])
                ]
                let times: [Double?] = [t?.features, t?.fusion, t?.intraClustering, t?.selection, t?.training, t?.total]
                row += times.map(number)
                let clock = simulated ? simulatedFields(m.simulated, client: client) : []
                out += (row + roundFields + clock + bytes).joined(separator: ",") + "\n"
            }
        }
        return out
    }

    /// The `simulatedColumns` of one client in one round (empty cells when the round has no record).
    static func simulatedFields(_ r: SimulatedRound?, client: Int) -> [String] {
        guard let r else { return [String](repeating: "", count: simulatedColumns.count) }
        let c = r.clients[String(client)]
        var out = [c?.outcome.rawValue ?? ""]
        for phase in SimulatedRound.Phase.allCases {
            let t = c?.phases[phase.rawValue]
            out += [t?.download, t?.compute, t?.upload, t?.reports].map(number)
        }
        let work = (c?.phases.values.compactMap(\.work) ?? [])
        func total(_ key: KeyPath<ClientWork, Int>) -> String {
            work.isEmpty ? "" : String(work.reduce(0) { $0 + $1[keyPath: key] })
        }
        out += [total(\.featureTokens), total(\.trainTokens), total(\.bytesDown), total(\.bytesUp)]
        out += [number(c?.at), number(r.start), number(r.end), String(r.online)]
        return out
    }

    /// A number as CSV text: empty when absent or not finite.
    static func number(_ x: Double?) -> String {
        guard let x, x.isFinite else { return "" }
        return "\(x)"
    }

    /// Quotes a text field that holds a comma, a quote or a line break (RFC 4180).
    static func field(_ s: String) -> String {
        guard s.contains(where: { $0 == "," || $0 == "\"" || $0 == "\n" || $0 == "\r" }) else { return s }
        return "\"" + s.replacingOccurrences(of: "\"", with: "\"\"") + "\""
    }
}
