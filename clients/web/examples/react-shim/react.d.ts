// Only for tsc's check of examples/react-usage.tsx (npm test): the few parts of @types/react it uses,
// with the same shapes, so the example type-checks without React as a dependency. A real app has
// @types/react instead (18.3+ or 19), where the example compiles as it is.
declare module 'react' {
  interface RefObject<T> {
    current: T;
  }
  type Ref<T> = ((instance: T | null) => void) | RefObject<T | null> | null;
  interface Attributes {
    key?: string | number | null | undefined;
  }
  interface RefAttributes<T> extends Attributes {
    ref?: Ref<T> | undefined;
  }
  interface HTMLAttributes<T> {
    className?: string | undefined;
    id?: string | undefined;
    hidden?: boolean | undefined;
    style?: Record<string, string | number> | undefined;
    children?: ReactNode | undefined;
  }
  type ClassAttributes<T> = RefAttributes<T>;
  type DetailedHTMLProps<E extends HTMLAttributes<T>, T> = ClassAttributes<T> & E;
  type ReactNode = ReactElement | string | number | boolean | null | undefined | Iterable<ReactNode>;
  interface ReactElement {
    type: unknown;
    props: unknown;
    key: string | null;
  }
  type EffectCallback = () => void | (() => void);
  function useRef<T>(initialValue: T | null): RefObject<T | null>;
  function useEffect(effect: EffectCallback, deps?: readonly unknown[]): void;

  namespace JSX {
    type Element = ReactElement;
    interface ElementChildrenAttribute {
      children: {};
    }
    interface IntrinsicAttributes extends Attributes {}
    interface IntrinsicElements {
      div: DetailedHTMLProps<HTMLAttributes<HTMLDivElement>, HTMLDivElement>;
      section: DetailedHTMLProps<HTMLAttributes<HTMLElement>, HTMLElement>;
      h2: DetailedHTMLProps<HTMLAttributes<HTMLHeadingElement>, HTMLHeadingElement>;
    }
  }
}

declare module 'react/jsx-runtime' {
  import type { JSX as ReactJSX, ReactElement } from 'react';
  export namespace JSX {
    type Element = ReactJSX.Element;
    interface ElementChildrenAttribute extends ReactJSX.ElementChildrenAttribute {}
    interface IntrinsicAttributes extends ReactJSX.IntrinsicAttributes {}
    interface IntrinsicElements extends ReactJSX.IntrinsicElements {}
  }
  export function jsx(type: unknown, props: unknown, key?: string): ReactElement;
  export function jsxs(type: unknown, props: unknown, key?: string): ReactElement;
  export const Fragment: unique symbol;
}
