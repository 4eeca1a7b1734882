import Foundation
import NSTGuidance
import NSTImage
import NSTNetwork
import Testing
@testable import NSTTransfer

/// Run configurations and mask shape files with a key written twice: refused with the key's path, both values and
/// where they are, never decoded with one of the values silently dropped.
@Suite struct DuplicateKeyRobustnessTests {
    /// Decodes `json` as a run configuration and returns the duplicate it was refused for.
    func refusal(_ json: String) throws -> DuplicateJSONKey {
        do {
            _ = try RunConfiguration.decode(from: Data(json.utf8), source: "run.json")
        } catch let ConfigurationError.duplicateKey(source, duplicate) {
            #expect(source == "run.json")
            return duplicate
        }
        Issue.record("accepted: \(json)")
        throw CancellationError()
    }

    @Test func topLevelKeyTwiceNamesTheKeyBothValuesAndPositions() throws {
        let json = """
        {
          "style_weight": 1000,
          "size": 64,
          "style_weight": 2e4
        }
        """
        let d = try refusal(json)
        #expect(d.path == "style_weight")
        #expect(d.first == "1000" && d.second == "2e4")
        #expect(d.firstLine == 2 && d.firstColumn == 3 && d.line == 4 && d.column == 3)
        let text = ConfigurationError.duplicateKey(source: "run.json", d).description
        #expect(text == "run.json: key 'style_weight' appears twice: 1000 at line 2, column 3 and 2e4 at line 4, column 3; "
                + "JSON readers silently keep only one, so remove the other.")
    }

    @Test func nestedKeysCarryTheirJSONPath() throws {
        let d = try refusal(#"{"layer_weights": {"style": {"relu1_1": 1, "relu2_1": 2, "relu1_1": 3}}}"#)
        #expect(d.path == "layer_weights.style.relu1_1" && d.first == "1" && d.second == "3")
        let r = try refusal(#"{"regions": [{"color": "red"}, {"color": "red", "weight": 1, "color": "blue"}]}"#)
        #expect(r.path == "regions[1].color" && r.first == "\"red\"" && r.second == "\"blue\"")
    }

    @Test func escapedSpellingsOfOneKeyAreTheSameKey() throws {
        let d = try refusal(#"{"size": 64, "\u0073ize": 128}"#)
        #expect(d.path == "size" && d.first == "64" && d.second == "128")
    }

    @Test func equalValuesTwiceAreStillRefused() throws {
        let d = try refusal(#"{"iterations": 10, "iterations": 10}"#)
        #expect(d.path == "iterations")
    }

    @Test func objectValuesAreQuotedOnOneLineAndShortened() throws {
        let long = (0..<40).map { "\"relu\($0)\": \($0)" }.joined(separator: ",\n")
        let d = try refusal("{\"layer_weights\": {\"content\": {\"relu4_2\": 1}},\n \"layer_weights\": {\"style\": {\(long)}}}")
        #expect(d.path == "layer_weights")
        #expect(d.first == #"{"content": {"relu4_2": 1}}"#)
        #expect(d.second.count == DuplicateKeyScan.valueLength && d.second.hasSuffix("…") && !d.second.contains("\n"))
        #expect(d.line == 2 && d.column == 2)
    }

    @Test func columnsCountCharactersNotBytes() throws {
        let d = try refusal("{\"content\": \"é.png\", \"content\": \"b.png\"}")
        #expect(d.column == 22)
    }

    @Test func theSameKeyInSeparateObjectsIsFine() throws {
        let config = try RunConfiguration.decode(from: Data(#"""
        {"regions": [{"color": "red", "weight": 1}, {"color": "blue", "weight": 2}],
         "layer_weights": {"content": {"relu4_2": 1}, "style": {"relu4_2": 1}}}
        """#.utf8))
        #expect(config.regions.count == 2)
        #expect(config.layerWeights.style["relu4_2"] == 1)
    }

    @Test func syntaxErrorsKeepTheParsersMessage() throws {
        for text in [#"{"size": 64,"#, #"{"size" 64}"#, "", "[", #"{"a": "unterminated}"#] {
            try DuplicateKeyScan.check(Data(text.utf8))   // left to the parser
            do {
                _ = try RunConfiguration.decode(from: Data(text.utf8), source: "run.json")
                Issue.record("accepted \(text)")
            } catch let error as ConfigurationError {
                if case .duplicateKey = error { Issue.record("syntax error \(text) reported as \(error)") }
                #expect(error.description.contains("run.json"), "\(error)")
            }
        }
    }

    @Test func deepNestingNeitherCrashesNorHangs() throws {
        // 100 000 nested arrays: the scan stops at its depth limit, the parser reports the rest.
        let deep = String(repeating: "[", count: 100_000) + String(repeating: "]", count: 100_000)
        try DuplicateKeyScan.check(Data(deep.utf8))
        let nested = String(repeating: #"{"a": "#, count: 600) + "1" + String(repeating: "}", count: 600)
        try DuplicateKeyScan.check(Data(nested.utf8))
    }

    @Test func maskShapeFilesAreScannedToo() throws {
        let json = #"{"width": 64, "height": 64, "background": "black", "width": 32, "shapes": []}"#
        do {
            _ = try MaskSpec.decode(Data(json.utf8), path: "shapes.json")
            Issue.record("a mask spec with 'width' twice was accepted")
        } catch let error as MaskSpecError {
            #expect(error.description.contains("shapes.json: at 'width': appears twice: 64 at line 1, column 2 and 32 at line 1, column 52"),
                    "\(error)")
        }
    }
}
