package io.weft.cli;

import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

class StreamInfoPrintTest {
    @Test
    void infoShowsHowFarEachReplicaIsBehindTheLeadersCommit() throws Exception {
        String json = """
                {"name":"orders","subjects":["orders.>"],"replicas":3,"site":"cloud","leader":"c1",
                 "peers":["c1","c2","c3"],"firstSeq":1,"lastSeq":900,"events":900,"bytes":1024,
                 "maxAge":"PT0S","maxBytes":0,"maxEvents":0,"dedupeWindow":"PT2M","consumers":[],
                 "raft":{"node":"c1","role":"LEADER","term":4,"logStart":0,"logLast":120,"commitIndex":120,
                         "appliedIndex":120,"snapshotIndex":-1,"peerCommitIndex":{"c1":120,"c2":117,"c3":120}}}
                """;
        PrintStream old = System.out;
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        System.setOut(new PrintStream(out, true, StandardCharsets.UTF_8));
        try {
            StreamCommand.printInfo(new ObjectMapper().readTree(json));
        } finally {
            System.setOut(old);
        }
        String text = out.toString(StandardCharsets.UTF_8);
        assertTrue(text.contains("raft:       term 4, log 0..120, commit 120, applied 120, snapshot -1; "
                + "entries behind: c1 0, c2 3, c3 0"), text);
        assertTrue(text.contains("seq 1..900"), text);
    }
}
