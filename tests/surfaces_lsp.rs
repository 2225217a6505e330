//! `wirelint lsp` driven as an editor drives it: initialize, didOpen, publishDiagnostics (for the opened
//! file and the other files of its stack), hover with the rule docs, a quick fix, didChange clearing the
//! finding, shutdown and exit.

use lsp_server::{Message, Notification, Request, RequestId};
use serde_json::{json, Value};
use std::io::BufReader;
use std::path::Path;
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::mpsc::{Receiver, RecvTimeoutError};
use std::time::Duration;

struct Client {
    child: Child,
    stdin: ChildStdin,
    incoming: Receiver<Message>,
    next_id: i32,
}

impl Client {
    fn start(root: &Path) -> Client {
        let mut child = Command::new(env!("CARGO_BIN_EXE_wirelint"))
            .arg("lsp")
            .current_dir(root)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .unwrap();
        let stdin = child.stdin.take().unwrap();
        let stdout = child.stdout.take().unwrap();
        let (tx, rx) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            let mut r = BufReader::new(stdout);
            while let Ok(Some(m)) = Message::read(&mut r) {
                if tx.send(m).is_err() {
                    break;
                }
            }
        });
        Client {
            child,
            stdin,
            incoming: rx,
            next_id: 1,
        }
    }

    fn send(&mut self, m: Message) {
        m.write(&mut self.stdin).unwrap();
    }

    fn notify(&mut self, method: &str, params: Value) {
        self.send(Message::Notification(Notification::new(
            method.into(),
            params,
        )));
    }

    fn recv(&self) -> Message {
        match self.incoming.recv_timeout(Duration::from_secs(20)) {
            Ok(m) => m,
            Err(RecvTimeoutError::Timeout) => panic!("no message from the server in 20 s"),
            Err(e) => panic!("server closed: {e}"),
        }
    }

    /// Sends a request and returns its result, collecting notifications meanwhile.
    fn request(&mut self, method: &str, params: Value) -> Value {
        let id = self.next_id;
        self.next_id += 1;
        self.send(Message::Request(Request::new(
            RequestId::from(id),
            method.into(),
            params,
        )));
        loop {
            if let Message::Response(r) = self.recv() {
                assert_eq!(r.id, RequestId::from(id));
                return r.response_result.expect("a successful response");
            }
        }
    }

    /// Waits for publishDiagnostics for each of `uris`; returns uri → diagnostics (the latest of each).
    fn published(&self, uris: &[&str]) -> std::collections::HashMap<String, Vec<Value>> {
        let mut got = std::collections::HashMap::new();
        while !uris.iter().all(|u| got.contains_key(*u)) {
            if let Message::Notification(n) = self.recv() {
                if n.method == "textDocument/publishDiagnostics" {
                    let uri = n.params["uri"].as_str().unwrap().to_string();
                    got.insert(uri, n.params["diagnostics"].as_array().unwrap().clone());
                }
            }
        }
        got
    }
}

impl Drop for Client {
    fn drop(&mut self) {
        // A failed test must not leave its server running.
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn uri(p: &Path) -> String {
    format!("file://{}", p.display())
}

const SITE: &str = "server {\n    listen 10.0.0.1:80;  # wirelint: ignore[N000] stale\n}\n";

#[test]
fn lsp_session() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().canonicalize().unwrap();
    std::fs::create_dir_all(root.join("nginx")).unwrap();
    std::fs::write(
        root.join("compose.yml"),
        "services:\n  web:\n    image: nginx:1.27\n",
    )
    .unwrap();
    std::fs::write(root.join("nginx/site.conf"), SITE).unwrap();
    let compose = uri(&root.join("compose.yml"));
    let site = uri(&root.join("nginx/site.conf"));

    let mut c = Client::start(&root);
    let init = c.request(
        "initialize",
        json!({ "processId": null, "rootUri": uri(&root), "capabilities": {},
                "workspaceFolders": [ { "uri": uri(&root), "name": "w" } ] }),
    );
    assert_eq!(init["capabilities"]["hoverProvider"], true);
    assert_eq!(init["capabilities"]["textDocumentSync"]["change"], 1);
    c.notify("initialized", json!({}));

    // Opening the compose file publishes the findings of its whole stack, the nginx file's included.
    c.notify(
        "textDocument/didOpen",
        json!({ "textDocument": { "uri": compose, "languageId": "yaml", "version": 1,
                "text": "services:\n  web:\n    image: nginx:1.27\n" } }),
    );
    let got = c.published(&[&compose, &site]);
    assert_eq!(got[&compose].len(), 0);
    assert_eq!(got[&site].len(), 1);
    let d = &got[&site][0];
    assert_eq!(d["code"], "W001");
    assert_eq!(d["source"], "wirelint");
    assert_eq!(d["severity"], 2);
    assert_eq!(d["range"]["start"], json!({ "line": 1, "character": 44 }));
    assert_eq!(d["range"]["end"], json!({ "line": 1, "character": 48 }));

    // Opening the nginx file with an unsaved edit that adds a second problem: the buffer is what is checked.
    let edited = "server {\n    listen 10.0.0.1:80;  # wirelint: ignore[N000] stale\n    # wirelint: ignore[N00] typo\n    listen 10.0.0.1:81;\n}\n";
    c.notify(
        "textDocument/didOpen",
        json!({ "textDocument": { "uri": site, "languageId": "nginx", "version": 1, "text": edited } }),
    );
    let got = c.published(&[&site]);
    let codes: Vec<&str> = got[&site]
        .iter()
        .map(|d| d["code"].as_str().unwrap())
        .collect();
    assert_eq!(codes, ["W001", "W003"]);

    // Hover over the finding shows its rule's docs; hover over a code in a comment too.
    let hover = c.request(
        "textDocument/hover",
        json!({ "textDocument": { "uri": site }, "position": { "line": 1, "character": 45 } }),
    );
    let text = hover["contents"]["value"].as_str().unwrap();
    assert!(text.contains("# W001 (unused-suppression)"), "{text}");
    assert!(text.contains("## How to fix"), "{text}");
    // Over `N00` in the typo'd suppression on line 2 no rule matches: no hover. Over a valid code word in
    // the text (here `N000` on line 1, inside the finding) the finding's rule wins.
    let hover = c.request(
        "textDocument/hover",
        json!({ "textDocument": { "uri": site }, "position": { "line": 2, "character": 25 } }),
    );
    assert!(
        hover["contents"]["value"]
            .as_str()
            .unwrap()
            .contains("W003"),
        "{hover}"
    );
    let hover = c.request(
        "textDocument/hover",
        json!({ "textDocument": { "uri": site }, "position": { "line": 3, "character": 6 } }),
    );
    assert_eq!(hover, Value::Null);

    // The unused suppression offers a quick fix that removes the comment.
    let actions = c.request(
        "textDocument/codeAction",
        json!({ "textDocument": { "uri": site },
                "range": { "start": { "line": 1, "character": 46 }, "end": { "line": 1, "character": 46 } },
                "context": { "diagnostics": [] } }),
    );
    let actions = actions.as_array().unwrap();
    assert_eq!(actions.len(), 1, "{actions:?}");
    assert_eq!(actions[0]["kind"], "quickfix");
    let edits = &actions[0]["edit"]["changes"][&site];
    assert_eq!(edits[0]["newText"], "");
    assert_eq!(
        edits[0]["range"]["start"],
        json!({ "line": 1, "character": 23 })
    );

    // Editing the problems away clears the file's diagnostics.
    c.notify(
        "textDocument/didChange",
        json!({ "textDocument": { "uri": site, "version": 2 },
                "contentChanges": [ { "text": "server {\n    listen 10.0.0.1:80;\n}\n" } ] }),
    );
    let got = c.published(&[&site]);
    assert_eq!(got[&site].len(), 0);

    // Closing the buffer re-checks the file as it is on disk (the suppression is still there).
    c.notify(
        "textDocument/didClose",
        json!({ "textDocument": { "uri": site } }),
    );
    let got = c.published(&[&site]);
    assert_eq!(got[&site].len(), 1);

    let shutdown = c.request("shutdown", Value::Null);
    assert_eq!(shutdown, Value::Null);
    c.notify("exit", Value::Null);
    let status = c.child.wait().unwrap();
    assert!(status.success());
    drop(c);
}

#[test]
fn config_mistake_is_shown_to_the_user() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().canonicalize().unwrap();
    std::fs::create_dir_all(root.join("nginx")).unwrap();
    std::fs::write(root.join(".wirelint.toml"), "[rules]\nselct = []\n").unwrap();
    std::fs::write(root.join("nginx/site.conf"), SITE).unwrap();
    let mut c = Client::start(&root);
    c.request(
        "initialize",
        json!({ "processId": null, "rootUri": uri(&root), "capabilities": {} }),
    );
    c.notify("initialized", json!({}));
    c.notify(
        "textDocument/didOpen",
        json!({ "textDocument": { "uri": uri(&root.join("nginx/site.conf")), "languageId": "nginx",
                "version": 1, "text": SITE } }),
    );
    loop {
        if let Message::Notification(n) = c.recv() {
            if n.method == "window/showMessage" {
                let m = n.params["message"].as_str().unwrap();
                assert!(
                    m.contains(".wirelint.toml:2:1") && m.contains("selct"),
                    "{m}"
                );
                assert_eq!(n.params["type"], 1);
                break;
            }
        }
    }
    c.request("shutdown", Value::Null);
    c.notify("exit", Value::Null);
    assert!(c.child.wait().unwrap().success());
}

#[test]
fn editing_one_file_republishes_another_files_cross_file_finding() {
    // P002 is reported in www.conf because a later file (zz-docker.conf) overrides its value: editing the
    // later file's unsaved buffer must update www.conf's diagnostics.
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().canonicalize().unwrap();
    std::fs::create_dir_all(root.join("php/php-fpm.d")).unwrap();
    std::fs::write(
        root.join("php/php-fpm.d/www.conf"),
        "[www]\nuser = www-data\nlisten = 9000\npm = static\npm.max_children = 2\n",
    )
    .unwrap();
    std::fs::write(root.join("php/php-fpm.d/zz-docker.conf"), "[www]\n").unwrap();
    let www = uri(&root.join("php/php-fpm.d/www.conf"));
    let zz = uri(&root.join("php/php-fpm.d/zz-docker.conf"));
    let mut c = Client::start(&root);
    c.request(
        "initialize",
        json!({ "processId": null, "rootUri": uri(&root), "capabilities": {} }),
    );
    c.notify("initialized", json!({}));
    c.notify(
        "textDocument/didOpen",
        json!({ "textDocument": { "uri": zz, "languageId": "ini", "version": 1, "text": "[www]\n" } }),
    );
    let got = c.published(&[&zz]);
    assert_eq!(got[&zz].len(), 0);
    c.notify(
        "textDocument/didChange",
        json!({ "textDocument": { "uri": zz, "version": 2 },
                "contentChanges": [ { "text": "[www]\npm.max_children = 5\n" } ] }),
    );
    let got = c.published(&[&www]);
    assert_eq!(got[&www].len(), 1, "{:?}", got[&www]);
    let d = &got[&www][0];
    assert_eq!(d["code"], "P002");
    let related = &d["relatedInformation"][0];
    assert_eq!(related["location"]["uri"], zz.as_str());
    assert_eq!(related["location"]["range"]["start"]["line"], 1);
    // Undo the edit: the finding in the other file goes away.
    c.notify(
        "textDocument/didChange",
        json!({ "textDocument": { "uri": zz, "version": 3 },
                "contentChanges": [ { "text": "[www]\n" } ] }),
    );
    let got = c.published(&[&www]);
    assert_eq!(got[&www].len(), 0);
    c.request("shutdown", Value::Null);
    c.notify("exit", Value::Null);
    assert!(c.child.wait().unwrap().success());
}
