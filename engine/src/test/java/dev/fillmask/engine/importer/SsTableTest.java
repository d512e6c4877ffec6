package dev.fillmask.engine.importer;

import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class SsTableTest {

    /** Keys share long prefixes, as checkpoint variable names do, and some values are longer than 127 bytes. */
    private static List<SsTable.KeyValue> entries(int n) {
        List<SsTable.KeyValue> entries = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            String key = String.format("module/bert/encoder/layer_%03d/attention/self/%s", i / 3, List.of("key", "query", "value").get(i % 3));
            byte[] value = new byte[i * 7 % 300];
            for (int j = 0; j < value.length; j++) {
                value[j] = (byte) (i + j);
            }
            entries.add(new SsTable.KeyValue(key.getBytes(StandardCharsets.UTF_8), value));
        }
        return entries;
    }

    @Test
    void readsEveryEntryAcrossBlocksAndRestartPoints() throws IOException {
        List<SsTable.KeyValue> written = entries(50);
        List<SsTable.KeyValue> read = SsTable.read(new SsTableWriter(7, 3).write(written));

        assertEquals(written.size(), read.size());
        for (int i = 0; i < written.size(); i++) {
            assertEquals(written.get(i).keyText(), read.get(i).keyText());
            assertArrayEquals(written.get(i).value(), read.get(i).value());
        }
    }

    @Test
    void readsAnEmptyTableAndASingleBlock() throws IOException {
        assertEquals(List.of(), SsTable.read(new SsTableWriter(10, 16).write(List.of())));
        assertEquals(5, SsTable.read(new SsTableWriter(100, 16).write(entries(5))).size());
    }

    @Test
    void refusesADamagedBlock() {
        byte[] table = new SsTableWriter(7, 3).write(entries(20));
        table[10] ^= 1;
        IOException e = assertThrows(IOException.class, () -> SsTable.read(table));
        assertTrue(e.getMessage().contains("CRC"), e.getMessage());
    }

    @Test
    void refusesAFileThatIsNoTable() {
        byte[] table = new SsTableWriter(7, 3).write(entries(3));
        table[table.length - 1] = 0;
        assertTrue(assertThrows(IOException.class, () -> SsTable.read(table)).getMessage().contains("magic"));
        assertThrows(IOException.class, () -> SsTable.read(new byte[12]));
    }
}
