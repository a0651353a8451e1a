/**
 * The per-response CSP nonce, made in entry.server.tsx and handed to <Scripts>/<ScrollRestoration> so inline
 * scripts run under a Content-Security-Policy without 'unsafe-inline'. In the browser it is empty (the browser hides
 * nonce attributes after parsing anyway).
 */
import { createContext, useContext } from "react";

export const NonceContext = createContext<string>("");
export const NonceProvider = NonceContext.Provider;
export const useNonce = () => useContext(NonceContext);
