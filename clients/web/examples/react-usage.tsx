// <byoc-connect> in a React component (the README's example; npm test checks it with
// tsc --strict --jsx react-jsx against examples/react-shim/, not React itself).
import { useEffect, useRef } from 'react';
import type { DetailedHTMLProps, HTMLAttributes } from 'react';
import type { ByocConnect } from '../src/byoc-connect';
import '../src/byoc-connect.js'; // defines <byoc-connect>

declare module 'react' {
  namespace JSX {
    interface IntrinsicElements {
      'byoc-connect': DetailedHTMLProps<HTMLAttributes<ByocConnect>, ByocConnect> & {
        'api-base'?: string;
        providers?: string;
        provider?: string;
        'return-to'?: string;
      };
    }
  }
}

type Props = { getToken: () => Promise<string | null>; onConnected: (provider: string) => void };

export function Integrations({ getToken, onConnected }: Props) {
  const ref = useRef<ByocConnect>(null);
  useEffect(() => {
    const element = ref.current;
    if (!element) return;
    element.getToken = getToken; // a function: a property, not an attribute
    const listening = new AbortController();
    const options = { signal: listening.signal };
    element.addEventListener('byoc:connected', (event) => onConnected(event.detail.provider), options);
    element.addEventListener('byoc:error', (event) => console.warn(event.detail.step, event.detail.code), options);
    return () => listening.abort();
  }, [getToken, onConnected]);
  return <byoc-connect ref={ref} api-base="https://api.example.com" providers="slack,github" />;
}
