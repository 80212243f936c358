// deno-fmt-ignore-file
// deno-lint-ignore-file jsx-button-has-type
// The seed document's component, unchanged but for its import lines: the
// seed imported useRealtime from its own hook and toast from a UI library.
import { useEffect } from "react";
import { useRealtime } from "@realtime/hub/react";
import { toast } from "./toast.ts";
import { authToken } from "./auth.ts";

export function MyComponent() {
  const { isConnected, on, send } = useRealtime(authToken);

  useEffect(() => {
    // Listen for notifications
    const unsubscribe = on('notification', (payload) => {
      toast(payload.title, { description: payload.message });
    });

    return unsubscribe;
  }, [on]);

  const sendTestMessage = () => {
    send('test', { message: 'Hello from frontend!' });
  };

  return (
    <div>
      <p>Connection: {isConnected ? 'Connected' : 'Disconnected'}</p>
      <button onClick={sendTestMessage}>Send Test</button>
    </div>
  );
}
