// Worker threads do not inherit tsx's loader: register it in the thread, then load the sender.
import { register } from "tsx/esm/api";

register();
await import("./delivery-sender.ts");
