// V2 and later record every order in the event store too. Prepared on first use: V2 is deployed
// before the migration that creates the table (S1), and takes no command before it.
export function appendEvent(db) {
  let append;
  return (cmd) => {
    append ??= db.prepare("INSERT INTO order_events (order_id, type, payload) VALUES (?, 'OrderPlaced', ?)");
    append.run(cmd.id, JSON.stringify(cmd));
  };
}
