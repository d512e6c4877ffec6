package dev.fillmask.engine.importer.hub;

import org.junit.jupiter.api.Test;

import java.net.URI;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Repository ids and revisions by the hub's rules, and where the token may go. */
class HubNamesTest {
    @Test
    void repositoryIdsFollowTheHubsRules() {
        assertEquals("FacebookAI--xlm-roberta-base", HubRepoId.parse("FacebookAI/xlm-roberta-base").folderName());
        assertEquals("google-bert/bert-base-uncased", HubRepoId.parse("google-bert/bert-base-uncased").toString());
        assertTrue(HubRepoId.looksLike("sentence_transformers/all.MiniLM-L6_v2"));
        for (String bad : new String[] {"bert-base-uncased", "a/b/c", "/name", "org/", "org/-name", "org/name-",
                "org/na--me", "org/na..me", "org/name.git", "org/na me", "../etc", "org/..", "./models"}) {
            assertFalse(HubRepoId.looksLike(bad), bad);
            assertThrows(IllegalArgumentException.class, () -> HubRepoId.parse(bad), bad);
        }
        assertThrows(IllegalArgumentException.class, () -> HubRepoId.parse("org/" + "x".repeat(97)));
    }

    @Test
    void revisionsAreOneUrlSegmentAndOneFolderName() {
        assertEquals("main", HubRevision.MAIN.encoded());
        assertEquals("refs%2Fpr%2F12", new HubRevision("refs/pr/12").encoded());
        assertEquals("v1.0", new HubRevision("v1.0").encoded());
        assertTrue(new HubRevision("0123456789abcdef0123456789abcdef01234567").isCommit());
        assertFalse(new HubRevision("0123456").isCommit());
        for (String bad : new String[] {"", "a b", "..", "a/../b", "/main", "main/", ".hidden", "x:y", "a\nb", "ré"}) {
            assertThrows(IllegalArgumentException.class, () -> new HubRevision(bad), bad);
        }
    }

    @Test
    void theTokenGoesToTheEndpointsOriginOnly() {
        HubAccess access = HubAccess.fromEnvironment(Map.of("HF_TOKEN", "hf_secret"));
        assertEquals(URI.create("https://huggingface.co"), access.endpoint());
        assertEquals("Bearer hf_secret", access.authorizationFor(URI.create("https://huggingface.co/a/b/resolve/main/x")));
        assertNull(access.authorizationFor(URI.create("https://cdn-lfs.huggingface.co/repos/ab/cd")));
        assertNull(access.authorizationFor(URI.create("http://huggingface.co/a/b")));
        assertNull(access.authorizationFor(URI.create("https://huggingface.co:8443/a/b")));
        assertFalse(access.toString().contains("hf_secret"));
        assertNull(HubAccess.fromEnvironment(Map.of("HF_TOKEN", " ")).authorizationFor(URI.create("https://huggingface.co/x")));
    }

    @Test
    void theEndpointAndTheTokenAreChecked() {
        assertEquals(URI.create("https://hf-mirror.example"),
                HubAccess.fromEnvironment(Map.of("HF_ENDPOINT", "https://hf-mirror.example/")).endpoint());
        assertThrows(IllegalArgumentException.class, () -> HubAccess.of("ftp://huggingface.co", null));
        assertThrows(IllegalArgumentException.class, () -> HubAccess.of("huggingface.co", null));
        IllegalArgumentException clear = assertThrows(IllegalArgumentException.class,
                () -> HubAccess.of("http://hub.example", "hf_secret"));
        assertTrue(clear.getMessage().contains("unencrypted"), clear.getMessage());
        assertFalse(clear.getMessage().contains("hf_secret"));
        IllegalArgumentException spaced = assertThrows(IllegalArgumentException.class,
                () -> HubAccess.of("https://huggingface.co", "hf_se cret"));
        assertFalse(spaced.getMessage().contains("hf_se"));
        HubAccess.of("http://127.0.0.1:8080", "hf_secret");
    }
}
